"""The contract room's bonus form. It only parses; the service judges amounts and states."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from openlance.contracts.payments.bonuses import BALANCE, MAX_NOTE
from openlance.core.forms import DollarsField


class BonusForm(forms.Form):
    amount = DollarsField(label="Bonus")
    note = forms.CharField(
        label="Note to the freelancer",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    source = forms.ChoiceField(
        label="Pay with",
        choices=[(BALANCE, "My Openlance balance"), ("card", "A card")],
        initial=BALANCE,
        widget=forms.RadioSelect,
    )
    card_token = forms.CharField(
        label="Card",
        required=False,
        max_length=100,
        initial="pm_card_visa",
        help_text="The payment provider's card token (sandbox: pm_card_visa).",
    )
    # One per rendered form: a second submission of the same form pays nothing more.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def clean_amount(self) -> int:
        amount = self.cleaned_data.get("amount")
        if amount is None:
            raise forms.ValidationError("Enter the bonus.")
        return int(amount)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == "card" and not data.get("card_token", "").strip():
            self.add_error("card_token", "Enter the card to charge.")
        return data

    def payment_method(self) -> str:
        if self.cleaned_data["source"] == BALANCE:
            return BALANCE
        return str(self.cleaned_data["card_token"]).strip()
