"""The feedback page of a contract (/contracts/<id>/feedback/), reached from the contract
room and from the emails, and the card the contract room loads with htmx: only the
contract's two parties see either; anyone else gets a 404. And a freelancer's work history
(/freelancers/<id>/reviews/): the clients' revealed public feedback, page by page, as far as
the profile's visibility allows (its first page is on the profile itself, through the
`work_history` tag of `{% load reviews %}`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.core.errors import NotFound
from openlance.core.forms import run_form
from openlance.reviews import selectors, services
from openlance.reviews.forms import FeedbackForm
from openlance.reviews.models import FEEDBACK_WINDOW
from openlance.reviews.selectors import ContractFeedback, ReviewedContract


def _contract(request: HttpRequest, contract_id: int) -> ReviewedContract:
    try:
        return selectors.contract_for_feedback(user=request_user(request), contract_id=contract_id)
    except NotFound as missing:
        raise Http404(missing.detail) from None


def _context(feedback: ContractFeedback, form: FeedbackForm | None) -> dict[str, object]:
    return {
        "feedback": feedback,
        "contract": feedback.contract,
        "form": form or FeedbackForm.editing(feedback.mine_row, with_private=feedback.is_client),
        "window_days": FEEDBACK_WINDOW.days,
    }


@login_required
@require_http_methods(["GET", "POST"])
def contract_feedback(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = request_user(request)
    contract = _contract(request, contract_id)
    htmx = bool(getattr(request, "htmx", False))
    form = None
    status = 200
    if request.method == "POST":
        posted = FeedbackForm(request.POST, with_private=user.pk == contract.client_id)
        saved = run_form(
            posted,
            lambda _data: services.feedback_submit(
                user=user, contract=contract, **posted.submission()
            ),
        )
        if saved:
            messages.success(request, "Your feedback is saved.")
            if not htmx:
                return redirect("contract_feedback", contract.pk)
        else:
            form = posted
            status = 200 if htmx else 422
    feedback = selectors.contract_feedback(user=user, contract=contract)
    template = "reviews/_feedback_main.html" if htmx else "reviews/feedback.html"
    return render(request, template, _context(feedback, form), status=status)


@login_required
@require_GET
def contract_feedback_card(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The contract room's feedback card, loaded by htmx: where the feedback stands."""
    user = request_user(request)
    contract = _contract(request, contract_id)
    feedback = selectors.contract_feedback(user=user, contract=contract)
    return render(request, "reviews/_feedback_card.html", {"feedback": feedback})


@require_GET
def freelancer_reviews(request: HttpRequest, user_id: int) -> HttpResponse:
    """A page of a freelancer's work history: for htmx the next reviews (the profile's
    "More feedback" swaps them in), else a page of its own."""
    viewer = request.user if isinstance(request.user, User) else AnonymousUser()
    try:
        freelancer = selectors.freelancer_for_reviews(user_id=user_id, viewer=viewer)
    except NotFound as missing:
        raise Http404(missing.detail) from None
    history = selectors.work_history(freelancer=freelancer, page=request.GET.get("page"))
    htmx = bool(getattr(request, "htmx", False))
    template = "reviews/_work_history_page.html" if htmx else "reviews/work_history.html"
    return render(request, template, {"history": history})
