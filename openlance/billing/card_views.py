"""The saved cards page: the cards a user pays with, adding one through the card form, and
removing one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.billing import cards
from openlance.billing.card_forms import PayWithForm
from openlance.core import clock
from openlance.core.errors import NotFound
from openlance.core.forms import run_form


class CardAddForm(PayWithForm):
    always_save = True


def _page(request: HttpRequest, form: CardAddForm | None = None, status: int = 200) -> HttpResponse:
    user = request_user(request)
    now = clock.now()
    kept = cards.saved_cards_of(user=user)
    return render(
        request,
        "billing/cards.html",
        {
            "cards": [(card, card.expired_at(now)) for card in kept],
            "form": form or CardAddForm(initial={"pay_with": "new"}),
            "max_cards": cards.MAX_SAVED_CARDS,
        },
        status=status,
    )


@login_required
@require_GET
def card_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def card_add(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = CardAddForm({**request.POST.dict(), "pay_with": "new"})
    added: list[str] = []
    if run_form(
        form,
        lambda _data: added.append(
            cards.card_label(
                user=user,
                payment_method=cards.payment_method_for(user=user, choice=form.payment_choice()),
            )
        ),
    ):
        messages.success(request, f"{added[0]} is saved.")
        return redirect("card_list")
    return _page(request, form, status=422)


@login_required
@require_POST
def card_remove(request: HttpRequest, card_id: int) -> HttpResponse:
    user = request_user(request)
    try:
        card = cards.saved_card_for(user=user, card_id=card_id)
        cards.card_remove(user=user, card_id=card.pk)
    except NotFound as missing:
        raise Http404(missing.detail) from None
    messages.success(request, f"{card} is removed; nothing is charged to it again.")
    return redirect("card_list")
