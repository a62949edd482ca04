"""The contract room's bonus and refund forms. They only parse; the services judge amounts
and states."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from openlance.billing.card_forms import PayWithForm
from openlance.billing.models import Payment
from openlance.contracts.payments.bonuses import MAX_NOTE
from openlance.contracts.payments.expenses import MAX_DESCRIPTION
from openlance.contracts.payments.refunds import MAX_REASON
from openlance.core.forms import DollarsField
from openlance.core.money import Money


class BonusForm(PayWithForm):
    balance_label = "My Openlance balance"

    amount = DollarsField(label="Bonus")
    note = forms.CharField(
        label="Note to the freelancer",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
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


class RefundForm(forms.Form):
    """The freelancer's refund, or the client's request for one: which payment, how much,
    and why."""

    payment = forms.TypedChoiceField(label="Payment", coerce=int)
    amount = DollarsField(label="Amount")
    reason = forms.CharField(
        label="Why", max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2})
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, payments: list[Payment], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        field = self.fields["payment"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (
                p.pk,
                f"{p.get_kind_display()} of {p.created_at:%b %-d, %Y}: {Money(p.gross_cents)}"
                + (f", {Money(p.refunded_cents)} refunded" if p.refunded_cents else ""),
            )
            for p in payments
        ]

    def clean_amount(self) -> int:
        amount = self.cleaned_data.get("amount")
        if amount is None:
            raise forms.ValidationError("Enter the amount.")
        return int(amount)


class RefundRejectForm(forms.Form):
    note = forms.CharField(
        label="Why not", max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExpenseForm(forms.Form):
    description = forms.CharField(label="What it paid for", max_length=MAX_DESCRIPTION)
    amount = DollarsField(label="Amount")
    receipt = forms.FileField(label="Receipt", help_text="A PDF or an image, up to 10 MB.")
    # The chat message it is proposed from, when it is ("propose as amendment").
    source_message = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_amount(self) -> int:
        amount = self.cleaned_data.get("amount")
        if amount is None:
            raise forms.ValidationError("Enter the amount.")
        return int(amount)
