"""The wallet's payout forms: adding a method, the schedule, and "get paid now"."""

from __future__ import annotations

from django import forms

from openlance.billing.models import PayoutSchedule, WithdrawalMethod, WithdrawalMethodKind
from openlance.billing.payouts import METHOD_FEES
from openlance.core.forms import DollarsField
from openlance.core.money import Money


def _kind_choices() -> list[tuple[str, str]]:
    return [
        (
            kind,
            f"{WithdrawalMethodKind(kind).label} — {_fee_text(terms.fee_cents)}, {terms.arrives}",
        )
        for kind, terms in METHOD_FEES.items()
    ]


def _fee_text(cents: int) -> str:
    return "free" if cents == 0 else f"{Money(cents)} per payout"


class MethodForm(forms.Form):
    kind = forms.ChoiceField(choices=_kind_choices, label="Method")
    destination = forms.CharField(
        max_length=120,
        label="Destination token",
        help_text="The token your payment provider gave for this account (sandbox: "
        "any <code>ba_…</code> token; <code>ba_returns</code> bounces every payout).",
    )
    last4 = forms.CharField(
        max_length=4,
        min_length=4,
        label="Last 4 digits",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}"}),
    )


class ScheduleForm(forms.Form):
    schedule = forms.ChoiceField(choices=PayoutSchedule.choices)
    threshold = DollarsField(
        label="Only when at least",
        help_text="$100.00 or more. Money held over 180 days is "
        "paid out on the next schedule day whatever the amount.",
    )

    def clean_threshold(self) -> Money:
        cents = self.cleaned_data["threshold"]
        if cents is None:
            raise forms.ValidationError("Enter an amount, like 100.")
        return Money(cents)


class WithdrawForm(forms.Form):
    amount = DollarsField(label="Amount")
    method = forms.TypedChoiceField(coerce=int, label="Send to")
    # Drawn with the form and posted back unchanged: a double submit withdraws once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, methods: list[WithdrawalMethod], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["method"].choices = [  # type: ignore[attr-defined]
            (m.pk, f"{m} ({_fee_text(METHOD_FEES[m.kind].fee_cents)})") for m in methods
        ]

    def clean_amount(self) -> Money:
        cents = self.cleaned_data["amount"]
        if cents is None or cents <= 0:
            raise forms.ValidationError("Enter an amount above $0.00.")
        return Money(cents)
