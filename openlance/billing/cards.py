"""Saved cards, and the card a payment form chose (SPEC §8.4).

The browser hands over a provider token (Stripe Elements) or, with the sandbox, one of the
sandbox's test numbers, which `gateway.sandbox_card_tokenize` turns into a token as
Stripe's library would. Only tokens, brands, last four digits and expiry dates are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.gateway import (
    SAVED_CARD_SEPARATOR,
    payment_gateway,
    sandbox_card_tokenize,
)
from openlance.billing.models import SavedCard, card_expired
from openlance.core import clock
from openlance.core.errors import InvalidInput, NotFound, PaymentDeclined, require_id

MAX_SAVED_CARDS = 10
BALANCE = "balance"
T = TypeVar("T")


@dataclass(frozen=True)
class NewCard:
    """A card typed into the form now: a provider token, or a sandbox test number."""

    token: str = ""
    number: str = ""
    exp_month: int = 0
    exp_year: int = 0
    save: bool = False


@dataclass(frozen=True)
class PaymentChoice:
    """What a payment form chose: the balance, a saved card, or a new card."""

    balance: bool = False
    saved_card: SavedCard | None = None
    new_card: NewCard | None = None


def saved_cards_of(*, user: User) -> list[SavedCard]:
    return list(SavedCard.objects.filter(user=user, removed_at__isnull=True))


def saved_card_for(*, user: User, card_id: int) -> SavedCard:
    require_id(card_id, "card")
    card = SavedCard.objects.filter(user=user, pk=card_id, removed_at__isnull=True).first()
    if card is None:
        raise NotFound("No such card.")
    return card


def card_save(*, user: User, payment_method: str) -> SavedCard:
    """Keep a tokenized card for later payments; saving the same card again finds it."""
    return _card_keep(user=user, payment_method=payment_method)[0]


def _card_keep(*, user: User, payment_method: str) -> tuple[SavedCard, bool]:
    """The saved card, and whether it was added now (not found among the kept ones)."""
    if not payment_method or len(payment_method) > 120:
        raise InvalidInput(
            "Enter the card's token.", field_errors={"payment_method": ["Enter the card again."]}
        )
    details = payment_gateway().card_save(payment_method=payment_method, owner=f"user:{user.pk}")
    now = clock.now()
    if card_expired(now, exp_month=details.exp_month, exp_year=details.exp_year):
        raise InvalidInput(
            "This card has expired.", field_errors={"payment_method": ["Use a current card."]}
        )
    with transaction.atomic():
        # One client's cards are counted and added one request at a time.
        User.objects.select_for_update().filter(pk=user.pk).first()
        kept = SavedCard.objects.filter(user=user, removed_at__isnull=True)
        existing = kept.filter(payment_method=details.payment_method).first()
        if existing is not None:
            return existing, False
        if kept.count() >= MAX_SAVED_CARDS:
            raise InvalidInput(
                f"You can keep {MAX_SAVED_CARDS} cards; remove one first.",
                field_errors={"payment_method": ["Too many saved cards."]},
            )
        added = SavedCard.objects.create(
            user=user,
            payment_method=details.payment_method,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            created_at=now,
        )
        return added, True


def card_save_new(*, user: User, card: NewCard) -> SavedCard:
    """Keep a card typed into the card form (the cards page)."""
    return _card_keep(user=user, payment_method=_token(card))[0]


def card_remove(*, user: User, card_id: int) -> SavedCard:
    card = saved_card_for(user=user, card_id=card_id)
    card.removed_at = clock.now()
    card.save(update_fields=["removed_at"])
    return card


def _token(card: NewCard) -> str:
    return card.token or sandbox_card_tokenize(
        number=card.number, exp_month=card.exp_month, exp_year=card.exp_year
    )


def _resolved(*, user: User, choice: PaymentChoice) -> tuple[str, SavedCard | None]:
    """The `payment_method` the money services take for what a form chose ("balance", a
    saved card's reference, or a new card's token, saved first when the client asked), and
    the card this saved anew, if any."""
    if choice.balance:
        return BALANCE, None
    if choice.saved_card is not None:
        card = saved_card_for(user=user, card_id=choice.saved_card.pk)
        if card.expired_at(clock.now()):
            raise InvalidInput(
                "That card has expired.", field_errors={"pay_with": ["Choose another card."]}
            )
        return card.payment_method, None
    new = choice.new_card
    if new is None:
        raise InvalidInput("Choose how to pay.", field_errors={"pay_with": ["Required."]})
    token = _token(new)
    if not new.save:
        return token, None
    card, added = _card_keep(user=user, payment_method=token)
    return card.payment_method, card if added else None


def payment_method_for(*, user: User, choice: PaymentChoice) -> str:
    """The `payment_method` for what a form chose, saving a new card when asked."""
    return _resolved(user=user, choice=choice)[0]


def pay_with(*, user: User, choice: PaymentChoice, pay: Callable[[str], T]) -> T:
    """Pay with what a form chose: `pay` gets the payment method. A new card saved for this
    payment is forgotten again when the payment is declined."""
    payment_method, added = _resolved(user=user, choice=choice)
    try:
        return pay(payment_method)
    except PaymentDeclined as declined:
        if added is not None:
            added.delete()
        # Said next to the card that was chosen, in full: the reason is what the payer needs.
        raise PaymentDeclined(declined.detail, field_errors={"pay_with": [declined.detail]}) from (
            declined
        )


def card_label(*, user: User, payment_method: str) -> str:
    """How a person recognises the card a stored reference stands for ("" for none)."""
    if not payment_method or payment_method == BALANCE:
        return ""
    card = (
        SavedCard.objects.filter(user=user, payment_method=payment_method)
        .order_by("removed_at")  # a kept card before a removed one
        .first()
    )
    return str(card) if card is not None else "the card given through the API"


def card_removed(*, user: User, payment_method: str) -> bool:
    """Whether this is a saved card the client removed (and did not save again), or a
    provider customer's card that is not theirs: what was set to charge it, like an hourly
    contract's invoices or a Plus renewal, must not."""
    cards = SavedCard.objects.filter(user=user, payment_method=payment_method)
    if cards.filter(removed_at__isnull=True).exists():
        return False
    return cards.exists() or SAVED_CARD_SEPARATOR in payment_method


def card_reference_check(*, user: User, payment_method: str) -> None:
    """Refuse a provider customer's card (a "customer/card" reference, as a saved card is
    kept) unless it is one of `user`'s kept cards: nobody pays with another's saved card, or
    with one they removed. A card's one-time token is the provider's to accept or refuse."""
    if SAVED_CARD_SEPARATOR in payment_method and card_removed(
        user=user, payment_method=payment_method
    ):
        raise NotFound(
            "No such saved card.", field_errors={"payment_method": ["Choose one of your cards."]}
        )
