"""Profile pages: the freelancer's editor, the public freelancer profile and the client's
own profile form. Each view parses a form, calls a profile service and renders; a refusal
is shown on the form it came from, with the rest of the editor around it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts.auth import request_user
from openlance.catalog.selectors import catalog_version, skills_by_slugs
from openlance.core.errors import DomainError, NotFound
from openlance.core.forms import add_domain_errors, filters_cache_key, run_form
from openlance.core.money import Money
from openlance.profiles import search, selectors, services
from openlance.profiles.forms import (
    HISTORY_FORMS,
    ClientProfileForm,
    FreelancerSearchForm,
    FreelancerSettingsForm,
    PhotoForm,
    PortfolioItemForm,
    ProfileForm,
)
from openlance.profiles.models import MAX_SPECIALIZED, Freelancer, PortfolioItem, Profile
from openlance.profiles.search import FreelancerSearchParams

View = Callable[..., HttpResponse]


def role_needed(request: HttpRequest, role: str) -> HttpResponse:
    """The page offering to take up `role` (the header's role switch does it), for someone
    signed in without it: nobody meets a bare 403."""
    return render(request, "web/role_needed.html", {"role": role}, status=403)


def role_required(role: str, *, offer_role: bool = False) -> Callable[[View], View]:
    """Signed in and holding `role`; otherwise the page offering to take the role up
    (`role_needed`). A page about one object (its URL names an id) is a 404 instead: without
    the role the object is not one of yours, and a stranger learns nothing about which ids
    exist. `offer_role` is for pages whose URL names no object of the caller's (a section of
    their own profile, the freelancer a client invites or hires): they offer the role too."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request_user(request)
            if role not in user.roles:
                if kwargs and not offer_role:
                    raise Http404("There is no such page.")
                return role_needed(request, role)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _freelancer(request: HttpRequest) -> Freelancer:
    """The signed-in freelancer's row with everything the editor shows; opened on the
    first visit (`freelancer_start` is idempotent)."""
    user = request_user(request)
    services.freelancer_start(user=user)
    return selectors.freelancer_get(user_id=user.pk)


def _general(freelancer: Freelancer) -> Profile:
    return next(p for p in freelancer.profiles.all() if p.is_general)


def _profile_initial(profile: Profile) -> dict[str, Any]:
    return {
        "title": profile.title,
        "overview": profile.overview,
        "hourly_rate": (
            Money(profile.hourly_rate_cents).amount if profile.hourly_rate_cents is not None else ""
        ),
        "skills": [skill.slug for skill in profile.skills.all()],
        "portfolio_items": [item.pk for item in profile.portfolio_items.all()],
    }


def _portfolio_choices(freelancer: Freelancer) -> list[tuple[int, str]]:
    return [(item.pk, item.title) for item in freelancer.portfolio.all()]


def _editor(request: HttpRequest, freelancer: Freelancer, **bound: forms.Form) -> HttpResponse:
    """The whole editor; `bound` replaces a section's empty form by the one just posted,
    so its errors show where they were made. Rendered with 422 when a form has errors."""
    general = _general(freelancer)
    history_forms = {kind: form_class() for kind, form_class in HISTORY_FORMS.items()}
    history_forms.update({k: v for k, v in bound.items() if k in HISTORY_FORMS})
    context = {
        "freelancer": freelancer,
        "general": general,
        "specialized": [p for p in freelancer.profiles.all() if not p.is_general],
        "max_specialized": MAX_SPECIALIZED,
        "completeness": selectors.profile_completeness(freelancer=freelancer),
        "photo_form": bound.get("photo") or PhotoForm(),
        "settings_form": bound.get("settings") or FreelancerSettingsForm.of(freelancer),
        "general_form": bound.get("general") or ProfileForm(initial=_profile_initial(general)),
        "history_forms": history_forms,
    }
    status = 422 if any(form.errors for form in bound.values()) else 200
    return render(request, "profiles/edit.html", context, status=status)


def _saved(request: HttpRequest, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("profile_edit") + f"#{anchor}")


@role_required("freelancer")
@require_GET
def profile_edit(request: HttpRequest) -> HttpResponse:
    return _editor(request, _freelancer(request))


@role_required("freelancer")
@require_POST
def profile_photo(request: HttpRequest) -> HttpResponse:
    freelancer = _freelancer(request)
    form = PhotoForm(request.POST, request.FILES)
    if run_form(
        form,
        lambda data: services.freelancer_set_photo(freelancer=freelancer, upload=data["photo"]),
    ):
        return _saved(request, "Your photo is updated.", "photo")
    return _editor(request, freelancer, photo=form)


@role_required("freelancer")
@require_POST
def profile_settings(request: HttpRequest) -> HttpResponse:
    freelancer = _freelancer(request)
    form = FreelancerSettingsForm(request.POST, time_zone_now=freelancer.time_zone)

    def save(data: dict[str, Any]) -> None:
        settings = dict(data)
        minimum = settings.pop("minimum_hourly_rate")
        with transaction.atomic():
            services.freelancer_minimum_rate_set(
                freelancer=freelancer, minimum_hourly_rate_cents=minimum
            )
            services.freelancer_update(freelancer=freelancer, **settings)

    if run_form(form, save):
        return _saved(request, "Your location and availability are saved.", "settings")
    return _editor(request, freelancer, settings=form)


@role_required("freelancer")
@require_POST
def profile_make_public(request: HttpRequest) -> HttpResponse:
    """The one click back after the auto-private rule (or any private spell)."""
    services.freelancer_set_visibility(freelancer=_freelancer(request), visibility="public")
    return _saved(request, "Your profile is public again.", "settings")


def _profile_fields(form: ProfileForm) -> dict[str, Any]:
    data = form.cleaned_data
    fields = {
        "title": data["title"],
        "overview": data["overview"],
        "hourly_rate_cents": data["hourly_rate"],
        "skill_slugs": data["skills"],
    }
    if "portfolio_items" in data:
        fields["portfolio_item_ids"] = data["portfolio_items"]
    return fields


@role_required("freelancer")
@require_POST
def profile_general(request: HttpRequest) -> HttpResponse:
    freelancer = _freelancer(request)
    form = ProfileForm(request.POST)
    if run_form(
        form,
        lambda _: services.profile_update(profile=_general(freelancer), **_profile_fields(form)),
    ):
        return _saved(request, "Your general profile is saved.", "general")
    return _editor(request, freelancer, general=form)


def _specialized_page(
    request: HttpRequest, freelancer: Freelancer, form: ProfileForm, profile: Profile | None
) -> HttpResponse:
    return render(
        request,
        "profiles/specialized_form.html",
        {"freelancer": freelancer, "form": form, "profile": profile},
        status=422 if form.errors else 200,
    )


@role_required("freelancer")
@require_http_methods(["GET", "POST"])
def specialized_new(request: HttpRequest) -> HttpResponse:
    freelancer = _freelancer(request)
    portfolio = _portfolio_choices(freelancer)
    if request.method != "POST":
        return _specialized_page(request, freelancer, ProfileForm(portfolio=portfolio), None)
    form = ProfileForm(request.POST, portfolio=portfolio)
    if run_form(
        form,
        lambda _: services.specialized_profile_create(
            freelancer=freelancer, **_profile_fields(form)
        ),
    ):
        return _saved(request, "Your specialized profile is created.", "specialized")
    return _specialized_page(request, freelancer, form, None)


def _own_specialized(freelancer: Freelancer, profile_id: int) -> Profile:
    profile = next(
        (p for p in freelancer.profiles.all() if p.pk == profile_id and not p.is_general), None
    )
    if profile is None:
        raise Http404("No such specialized profile.")
    return profile


@role_required("freelancer")
@require_http_methods(["GET", "POST"])
def specialized_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    freelancer = _freelancer(request)
    profile = _own_specialized(freelancer, profile_id)
    portfolio = _portfolio_choices(freelancer)
    if request.method != "POST":
        form = ProfileForm(initial=_profile_initial(profile), portfolio=portfolio)
        return _specialized_page(request, freelancer, form, profile)
    form = ProfileForm(request.POST, portfolio=portfolio)
    if run_form(form, lambda _: services.profile_update(profile=profile, **_profile_fields(form))):
        return _saved(request, "Your specialized profile is saved.", "specialized")
    return _specialized_page(request, freelancer, form, profile)


@role_required("freelancer")
@require_POST
def specialized_delete(request: HttpRequest, profile_id: int) -> HttpResponse:
    freelancer = _freelancer(request)
    try:
        services.specialized_profile_delete(freelancer=freelancer, profile_id=profile_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    return _saved(request, "The specialized profile is deleted.", "specialized")


def _portfolio_page(
    request: HttpRequest, form: PortfolioItemForm, item: PortfolioItem | None
) -> HttpResponse:
    return render(
        request,
        "profiles/portfolio_form.html",
        {"form": form, "item": item},
        status=422 if form.errors else 200,
    )


def _portfolio_save(
    request: HttpRequest, freelancer: Freelancer, item: PortfolioItem | None
) -> HttpResponse:
    form = PortfolioItemForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.portfolio_item_save(
                freelancer=freelancer,
                title=data["title"],
                description=data["description"],
                link=data["link"],
                skill_slugs=data["skills"],
                image=data["image"],
                item_id=item.pk if item else None,
            )
        except DomainError as error:
            add_domain_errors(form, error)
        else:
            return _saved(request, f"Portfolio item “{data['title']}” is saved.", "portfolio")
    return _portfolio_page(request, form, item)


@role_required("freelancer")
@require_http_methods(["GET", "POST"])
def portfolio_new(request: HttpRequest) -> HttpResponse:
    freelancer = _freelancer(request)
    if request.method == "POST":
        return _portfolio_save(request, freelancer, None)
    return _portfolio_page(request, PortfolioItemForm(), None)


@role_required("freelancer")
@require_http_methods(["GET", "POST"])
def portfolio_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    freelancer = _freelancer(request)
    item = next((i for i in freelancer.portfolio.all() if i.pk == item_id), None)
    if item is None:
        raise Http404("No such portfolio item.")
    if request.method == "POST":
        return _portfolio_save(request, freelancer, item)
    form = PortfolioItemForm(
        initial={
            "title": item.title,
            "description": item.description,
            "link": item.link,
            "skills": [skill.slug for skill in item.skills.all()],
        }
    )
    return _portfolio_page(request, form, item)


@role_required("freelancer")
@require_POST
def portfolio_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        services.portfolio_item_delete(freelancer=_freelancer(request), item_id=item_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    return _saved(request, "The portfolio item is deleted.", "portfolio")


HISTORY_ADD: dict[str, Callable[..., Any]] = {
    "assessment": services.assessment_add,
    "employment": services.employment_add,
    "education": services.education_add,
    "other_experience": services.other_experience_add,
}


@role_required("freelancer", offer_role=True)
@require_POST
def history_add(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in HISTORY_FORMS:
        raise Http404("No such kind of entry.")
    freelancer = _freelancer(request)
    form = HISTORY_FORMS[kind](request.POST)
    if run_form(form, lambda data: HISTORY_ADD[kind](freelancer=freelancer, **data)):
        return _saved(request, "Added to your profile.", kind)
    return _editor(request, freelancer, **{kind: form})


@role_required("freelancer")
@require_POST
def history_delete(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    try:
        services.history_item_delete(freelancer=_freelancer(request), kind=kind, item_id=item_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    if request.headers.get("HX-Request") == "true":
        # htmx swaps the entry's row for this empty answer: gone without a reload.
        return HttpResponse("")
    return _saved(request, "Removed from your profile.", kind)


@require_GET
def freelancer_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """The public profile, general or specialized (`?profile=<id>`), shown as much as the
    freelancer's visibility allows this viewer."""
    try:
        freelancer = selectors.freelancer_get(user_id=user_id)
    except NotFound:
        raise Http404("No such freelancer.") from None
    profiles = list(freelancer.profiles.all())
    wanted = request.GET.get("profile", "")
    if wanted:
        profile = next((p for p in profiles if str(p.pk) == wanted), None)
        if profile is None:
            raise Http404("No such profile.")
    else:
        profile = next(p for p in profiles if p.is_general)
    access = selectors.profile_access(freelancer=freelancer, viewer=request.user)
    portfolio = (
        list(freelancer.portfolio.all())
        if profile.is_general
        else list(profile.portfolio_items.all())
    )
    context = {
        "freelancer": freelancer,
        "person": freelancer.user,
        "profile": profile,
        "profiles": profiles,
        "portfolio": portfolio,
        "access": access.value,
        "is_owner": request.user.is_authenticated and request.user.pk == freelancer.user_id,
    }
    return render(request, "profiles/detail.html", context)


@role_required("client")
@require_http_methods(["GET", "POST"])
def client_profile_edit(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    client_profile = services.client_profile_start(user=user)
    if request.method == "POST":
        form = ClientProfileForm(request.POST, time_zone_now=client_profile.time_zone)
        if form.is_valid():
            try:
                services.client_profile_update(client_profile=client_profile, **form.cleaned_data)
            except DomainError as error:
                add_domain_errors(form, error)
            else:
                messages.success(request, "Your client profile is saved.")
                return redirect("client_profile_edit")
    else:
        form = ClientProfileForm(
            time_zone_now=client_profile.time_zone,
            initial={
                "company_name": client_profile.company_name,
                "country": client_profile.country.code or "",
                "city": client_profile.city,
                "time_zone": client_profile.time_zone,
                "website": client_profile.website,
                "description": client_profile.description,
            },
        )
    return render(
        request,
        "profiles/client_edit.html",
        {"form": form, "client_profile": client_profile},
        status=422 if form.errors else 200,
    )


def _talent_params(data: dict[str, Any]) -> FreelancerSearchParams:
    country = "US" if data["us_only"] else data["country"]
    return FreelancerSearchParams(
        text=data["q"],
        countries=(country,) if country else (),
        rate_min_cents=data["rate_min"],
        rate_max_cents=data["rate_max"],
        jss_min=data["jss_min"],
        earned_min_cents=data["earned_min"],
        badges=tuple(data["badges"]),
        availability=tuple(data["availability"]),
        available_now=data["available_now"],
        english_min=data["english_min"] or None,
        skill_ids=tuple(skill.pk for skill in skills_by_slugs(data["skills"])),
        page=data["page"] or 1,
    )


@require_GET
def search_freelancers(request: HttpRequest) -> HttpResponse:
    """Find talent. htmx requests (a filter changed, a page link) get only the results."""
    form = FreelancerSearchForm(request.GET)
    results = None
    if form.is_valid():
        try:
            results = search.search_freelancer_cards(
                viewer=request.user, params=_talent_params(form.cleaned_data)
            )
        except DomainError as error:
            add_domain_errors(form, error, FreelancerSearchForm.FIELD_OF_PARAM)
    is_htmx = request.headers.get("HX-Request") == "true"
    if is_htmx:
        return render(request, "profiles/_talent_results.html", {"form": form, "results": results})
    filters_key = filters_cache_key(
        form, request.GET, version=catalog_version(), skip=("q", "us_only", "sort", "page")
    )
    return render(
        request,
        "profiles/search.html",
        {"form": form, "results": results, "filters_key": filters_key},
    )


@role_required("freelancer")
@require_GET
def profile_rank(request: HttpRequest) -> HttpResponse:
    """ "How do I rank for this query?" for one of the freelancer's own profiles."""
    freelancer = _freelancer(request)
    profiles = list(freelancer.profiles.all())
    wanted = request.GET.get("profile", "")
    profile = next((p for p in profiles if str(p.pk) == wanted), None) or _general(freelancer)
    query = request.GET.get("q", "").strip()[:200] or profile.title
    explanation = None
    if query:
        explanation = search.explain_rank(
            profile=profile, query_text=query, viewer=request_user(request)
        )
    return render(
        request,
        "profiles/rank.html",
        {
            "profiles": profiles,
            "profile": profile,
            "query": query,
            "explanation": explanation,
        },
    )
