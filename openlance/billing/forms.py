from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django import forms

from openlance.billing.card_forms import PayWithForm
from openlance.core.money import Money, MoneyError

AMOUNT_HELP = "US dollars, e.g. 250 or 250.00."

KeyedForm = TypeVar("KeyedForm", bound=forms.Form)


def fresh_form(form_class: type[KeyedForm], **kwargs: Any) -> KeyedForm:
    """A form that charges or pays out, drawn with a new idempotency key (posted back
    unchanged, so submitting it twice acts once)."""
    return form_class(initial={"key": uuid.uuid4()}, **kwargs)


def retry_form(form_class: type[KeyedForm], data: dict[str, Any], **kwargs: Any) -> KeyedForm:
    """The refused form again, validated, under a new key: the gateway answers a reused key
    with its first answer (a decline stays a decline), so the corrected retry must be new."""
    form = form_class({**data, "key": str(uuid.uuid4())}, **kwargs)
    form.is_valid()
    return form


def _parse_amount(value: str) -> Money:
    try:
        return Money.parse(value.replace(",", "").replace("$", ""))
    except MoneyError:
        raise forms.ValidationError("Enter an amount in dollars and cents, like 250.00.") from None


class DepositForm(PayWithForm):
    amount = forms.CharField(max_length=20, help_text=AMOUNT_HELP)
    # Generated when the form is drawn and posted back unchanged, so submitting the same
    # form twice charges and books once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self) -> Money:
        return _parse_amount(self.cleaned_data["amount"])


class FeeQuoteForm(forms.Form):
    amount = forms.CharField(max_length=20, label="Payment amount")
    lifetime_billed = forms.CharField(
        max_length=20,
        label="Billed to this client before",
        help_text="Across all your contracts with this client.",
    )
    first_payment_of_contract = forms.BooleanField(
        required=False, label="First payment of a new contract"
    )

    @classmethod
    def example(cls) -> dict[str, str]:
        """The worked example of SPEC §8.2: a first $600 payment to a new client."""
        return {"amount": "600.00", "lifetime_billed": "0.00"}

    def clean_amount(self) -> Money:
        return _non_negative(_parse_amount(self.cleaned_data["amount"]))

    def clean_lifetime_billed(self) -> Money:
        return _non_negative(_parse_amount(self.cleaned_data["lifetime_billed"]))


def _non_negative(amount: Money) -> Money:
    if amount.cents < 0:
        raise forms.ValidationError("Enter zero or more.")
    return amount
