"""Account settings pages: name, roles, the header's role switch, API tokens and location
verification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts import selectors, services
from openlance.accounts.auth import request_user
from openlance.accounts.forms import (
    ProfileNameForm,
    RolesForm,
    TokenCreateForm,
)
from openlance.accounts.models import VerificationStatus
from openlance.accounts.verification_forms import AppealForm, VerificationForm
from openlance.core.errors import DomainError, InvalidInput, NotFound
from openlance.core.forms import add_domain_errors, run_form


def _account_page(
    request: HttpRequest,
    *,
    name_form: ProfileNameForm | None = None,
    roles_form: RolesForm | None = None,
) -> HttpResponse:
    user = request_user(request)
    context = {
        "name_form": name_form
        or ProfileNameForm(initial={"first_name": user.first_name, "last_name": user.last_name}),
        "roles_form": roles_form
        or RolesForm(initial={"freelancer": user.is_freelancer, "client": user.is_client}),
        "email_verified": selectors.email_verified(user=user),
        "two_factor_enabled": selectors.two_factor_enabled(user=user),
        "active_token_count": selectors.tokens_of_user(user=user)
        .filter(revoked_at__isnull=True)
        .count(),
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def account_name(request: HttpRequest) -> HttpResponse:
    form = ProfileNameForm(request.POST)
    if run_form(form, lambda data: services.user_update_name(user=request_user(request), **data)):
        messages.success(request, "Your name is saved.")
        return redirect("account")
    return _account_page(request, name_form=form)


@login_required
@require_POST
def account_roles(request: HttpRequest) -> HttpResponse:
    form = RolesForm(request.POST)
    if run_form(form, lambda data: services.user_set_roles(user=request_user(request), **data)):
        messages.success(request, "Your roles are saved.")
        return redirect("account")
    return _account_page(request, roles_form=form)


@login_required
@require_POST
def role_switch(request: HttpRequest) -> HttpResponse:
    try:
        user = services.user_switch_role(
            user=request_user(request), role=request.POST.get("role", "")
        )
    except InvalidInput as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"You are now acting as a {user.get_active_role_display()}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "home"
    return redirect(target)


@login_required
@require_GET
def tokens(request: HttpRequest) -> HttpResponse:
    return _tokens_page(request, TokenCreateForm())


def _tokens_page(request: HttpRequest, form: TokenCreateForm) -> HttpResponse:
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": selectors.tokens_of_user(user=request_user(request)), "form": form},
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.token_create(
                user=request_user(request), name=form.cleaned_data["name"]
            )
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            # Rendered, not redirected: the secret must never be stored to survive a redirect.
            response = render(
                request, "accounts/token_created.html", {"token": token, "secret": secret}
            )
            response["Cache-Control"] = "no-store"
            return response
    return _tokens_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(selectors.tokens_of_user(user=request_user(request)), pk=token_id)
    if request.method == "POST":
        services.token_revoke(user=request_user(request), token_id=token.pk)
        messages.success(request, f"Token “{token.name}” is revoked; scripts using it now fail.")
        return redirect("tokens")
    return render(request, "accounts/token_revoke.html", {"token": token})


def _verification_page(
    request: HttpRequest,
    *,
    submit_form: VerificationForm | None = None,
    appeal_form: AppealForm | None = None,
) -> HttpResponse:
    user = request_user(request)
    history = list(selectors.verifications_of_user(user=user))
    latest = history[0] if history else None
    pending = latest is not None and latest.status == VerificationStatus.SUBMITTED
    appealable = (
        latest is not None
        and latest.status == VerificationStatus.REJECTED
        and not any(item.appeal_of_id == latest.pk for item in history)
    )
    context = {
        "latest": latest,
        "history": history,
        "pending": pending,
        "appeal_form": (appeal_form or AppealForm()) if appealable else None,
        "submit_form": None
        if pending
        else submit_form
        or VerificationForm(
            initial={"country": latest.country.code, "city": latest.city} if latest else {}
        ),
    }
    bound = [form for form in (submit_form, appeal_form) if form is not None]
    status = 422 if any(form.errors for form in bound) else 200
    return render(request, "accounts/verification.html", context, status=status)


@login_required
@require_GET
def verification(request: HttpRequest) -> HttpResponse:
    return _verification_page(request)


@login_required
@require_POST
def verification_submit(request: HttpRequest) -> HttpResponse:
    form = VerificationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.location_verification_submit(
                user=request_user(request),
                country=form.cleaned_data["country"],
                city=form.cleaned_data["city"],
                id_document=form.cleaned_data["id_document"],
                proof_of_address=form.cleaned_data["proof_of_address"],
            )
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, "Sent. A verifier will review your documents.")
            return redirect("verification")
    return _verification_page(request, submit_form=form)


@login_required
@require_POST
def verification_appeal(request: HttpRequest, verification_id: int) -> HttpResponse:
    try:
        rejected = selectors.verification_of_user(
            user=request_user(request), verification_id=verification_id
        )
    except NotFound:
        raise Http404("No such verification.") from None
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.location_verification_appeal(
                user=request_user(request),
                rejected=rejected,
                id_document=form.cleaned_data["id_document"],
                proof_of_address=form.cleaned_data["proof_of_address"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            messages.success(request, "Your appeal is sent. A verifier will review it.")
            return redirect("verification")
    return _verification_page(request, appeal_form=form)
