"""The saved cards page: the cards a user pays with, adding one through the card form, and
removing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from openlance.accounts.auth import request_user
from openlance.billing import cards
from openlance.billing.card_forms import PayWithForm
from openlance.billing.models import SavedCard
from openlance.core import clock
from openlance.core.forms import run_form
from openlance.core.views import or_404


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
    added: list[SavedCard] = []

    def keep(_data: dict[str, Any]) -> None:
        new_card = form.payment_choice().new_card
        assert new_card is not None  # the form takes a new card only
        added.append(cards.card_save_new(user=user, card=new_card))

    if run_form(form, keep):
        messages.success(request, f"{added[0]} is saved.")
        return redirect("card_list")
    return _page(request, form, status=422)


@login_required
@require_POST
def card_remove(request: HttpRequest, card_id: int) -> HttpResponse:
    card = or_404(cards.card_remove, user=request_user(request), card_id=card_id)
    messages.success(request, f"{card} is removed; nothing is charged to it again.")
    return redirect("card_list")
