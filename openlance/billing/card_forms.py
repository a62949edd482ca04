"""How a payment form asks what to pay with: the balance (where it can pay), a saved card,
or a new card typed into a card form. The form only parses; `cards.payment_method_for`
tokenizes, saves and resolves the choice.

With Stripe the card fields are Stripe Elements in the browser and only its token is posted
(`card_token`); with the sandbox the form takes the sandbox's test card numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from stdnum import luhn

from openlance.billing.cards import BALANCE, NewCard, PaymentChoice
from openlance.billing.gateway import SANDBOX_TEST_CARDS
from openlance.billing.models import SavedCard, card_expired
from openlance.core import clock

NEW_CARD = "new"
PAY_WITH_FIELDS = frozenset(
    {"pay_with", "card_number", "card_expiry", "card_cvc", "card_token", "save_card"}
)
SAVED_PREFIX = "card-"
EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")
# Card numbers are 12 to 19 digits (ISO/IEC 7812).
CARD_NUMBER = re.compile(r"^\d{12,19}$")


def card_number_valid(number: str) -> bool:
    """Digits only, as long as card numbers are, with a valid Luhn check digit."""
    return bool(CARD_NUMBER.match(number)) and luhn.is_valid(number)


def stripe_elements() -> bool:
    return settings.PAYMENT_GATEWAY == "stripe"


class CardDigitsInput(forms.TextInput):
    """A card's number or CVC: shown while typed, never written back into a page (a form
    shown again with errors asks for them again)."""

    def format_value(self, value: object) -> str | None:
        return None


class PayWithForm(forms.Form):
    """A base for every form that takes money from a client. Subclasses set
    `balance_label` to offer the Openlance balance (empty: cards only). `initial_card`
    preselects the saved card a client chose before."""

    balance_label = ""
    # A card charged again later (an hourly contract's invoices) is always kept.
    always_save = False

    pay_with = forms.ChoiceField(label="Pay with", widget=forms.RadioSelect)
    card_number = forms.CharField(
        label="Card number",
        required=False,
        max_length=23,
        widget=CardDigitsInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "4242 4242 4242 4242",
            }
        ),
    )
    card_expiry = forms.CharField(
        label="Expires",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
    )
    card_cvc = forms.CharField(
        label="CVC",
        required=False,
        max_length=4,
        widget=CardDigitsInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}
        ),
    )
    # Filled in the browser by Stripe Elements; the card itself never reaches us.
    card_token = forms.CharField(required=False, max_length=120, widget=forms.HiddenInput)
    save_card = forms.BooleanField(
        label="Save this card for next time", required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        cards: Sequence[SavedCard] = (),
        initial_card: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        now = clock.now()
        self.saved_cards = {f"{SAVED_PREFIX}{card.pk}": card for card in cards}
        choices = [(BALANCE, self.balance_label)] if self.balance_label else []
        choices += [
            (value, str(card))
            for value, card in self.saved_cards.items()
            if not card.expired_at(now)
        ]
        choices.append((NEW_CARD, "A new card"))
        pay_with = self.fields["pay_with"]
        assert isinstance(pay_with, forms.ChoiceField)
        pay_with.choices = choices
        chosen = [v for v, card in self.saved_cards.items() if card.payment_method == initial_card]
        self.initial.setdefault("pay_with", chosen[0] if chosen else choices[0][0])
        if self.always_save:
            del self.fields["save_card"]
        if stripe_elements():
            for name in ("card_number", "card_expiry", "card_cvc"):
                del self.fields[name]
        else:
            del self.fields["card_token"]

    def add_error(self, field: str | None, error: Any) -> None:
        # The money services name what pays `payment_method`; here it is `pay_with`.
        super().add_error("pay_with" if field == "payment_method" else field, error)

    def other_fields(self) -> list[forms.BoundField]:
        """The visible fields of the subclass, drawn before the pay-with block."""
        return [f for f in self.visible_fields() if f.name not in PAY_WITH_FIELDS]

    @property
    def stripe_publishable_key(self) -> str:
        return str(settings.STRIPE_PUBLISHABLE_KEY)

    @property
    def sandbox_test_cards(self) -> tuple[Any, ...]:
        return () if stripe_elements() else SANDBOX_TEST_CARDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("pay_with")
        if choice == NEW_CARD:
            new_card = self._new_card(data)
            if new_card is not None:
                data["payment_choice"] = PaymentChoice(new_card=new_card)
        elif choice == BALANCE:
            data["payment_choice"] = PaymentChoice(balance=True)
        elif choice in self.saved_cards:
            data["payment_choice"] = PaymentChoice(saved_card=self.saved_cards[choice])
        return data

    def payment_choice(self) -> PaymentChoice:
        choice: PaymentChoice = self.cleaned_data["payment_choice"]
        return choice

    def _new_card(self, data: dict[str, Any]) -> NewCard | None:
        save = self.always_save or bool(data.get("save_card"))
        if stripe_elements():
            token = str(data.get("card_token") or "").strip()
            if not token.startswith("pm_"):
                self.add_error("pay_with", "Enter the card's details in the card form.")
                return None
            return NewCard(token=token, save=save)
        number = re.sub(r"[\s-]", "", str(data.get("card_number") or ""))
        expiry = EXPIRY.match(str(data.get("card_expiry") or ""))
        cvc = str(data.get("card_cvc") or "").strip()
        if not card_number_valid(number):
            self.add_error("card_number", "Enter the card number as printed on the card.")
        month = year = 0
        if expiry is None:
            self.add_error("card_expiry", "Enter the expiry date as MM/YY.")
        else:
            month, year = int(expiry[1]), int(expiry[2])
            year += 2000 if year < 100 else 0
            if not 1 <= month <= 12:
                self.add_error("card_expiry", "Enter the month as 01 to 12.")
            elif card_expired(clock.now(), exp_month=month, exp_year=year):
                self.add_error("card_expiry", "This card has expired.")
        if not re.fullmatch(r"\d{3,4}", cvc):
            self.add_error("card_cvc", "Enter the 3 or 4 digits on the back of the card.")
        if self.errors:
            return None
        return NewCard(number=number, exp_month=month, exp_year=year, save=save)
