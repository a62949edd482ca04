"""The wallet's payout forms: adding a method, the schedule, and "get paid now"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from stdnum import bic, iban
from stdnum.us import rtn

from openlance.billing.card_forms import card_number_valid, stripe_elements
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
    """A withdrawal method as its owner knows it: a bank account, a PayPal address or a debit
    card. The form checks the numbers (checksums by python-stdnum); the gateway keeps them
    and gives back a token (`payouts.withdrawal_method_enter`). With Stripe, payouts go to the
    freelancer's connected Stripe account, whose own onboarding holds the bank details."""

    kind = forms.ChoiceField(choices=_kind_choices, label="Method", widget=forms.RadioSelect)
    holder_name = forms.CharField(label="Account holder", required=False, max_length=100)
    routing_number = forms.CharField(
        label="Routing number",
        required=False,
        max_length=9,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label="Account number",
        required=False,
        max_length=34,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    iban = forms.CharField(label="IBAN", required=False, max_length=42)
    bic = forms.CharField(label="SWIFT / BIC", required=False, max_length=11)
    email = forms.EmailField(label="PayPal address", required=False)
    card_number = forms.CharField(
        label="Debit card number",
        required=False,
        max_length=23,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    stripe_account = forms.CharField(
        label="Stripe account",
        required=False,
        max_length=64,
        help_text="Your connected Stripe account's id (acct_…), from Stripe's dashboard; "
        "Stripe keeps your bank details.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("kind", WithdrawalMethodKind.ACH)
        super().__init__(*args, **kwargs)
        stripe = stripe_elements()
        for name in list(self.fields):
            if name != "kind" and (name == "stripe_account") != stripe:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind is None:
            return data
        if "stripe_account" in self.fields:
            data["details"] = {"stripe_account": str(data.get("stripe_account", "")).strip()}
            return data
        details = {name: self._checked(name, data, kind) for name in KIND_FIELDS[kind]}
        if kind == WithdrawalMethodKind.WIRE and not (details["iban"] or details["account_number"]):
            self.add_error("iban", "Enter the IBAN, or the account number where there is none.")
        data["details"] = {name: value for name, value in details.items() if value}
        return data

    def _checked(self, name: str, data: dict[str, Any], kind: str) -> str:
        """The field's value in its compact form, or "" with an error on the field."""
        raw = str(data.get(name) or "").strip()
        # A wire needs an IBAN or an account number, one of the two (checked in `clean`).
        optional = kind == WithdrawalMethodKind.WIRE and name in ("iban", "account_number")
        if not raw:
            if not optional:
                self.add_error(name, "Required for this method.")
            return ""
        value = raw if name in ("holder_name", "email") else re.sub(r"[\s-]", "", raw).upper()
        check = CHECKS.get(name)
        if check is not None and not check(value):
            self.add_error(name, INVALID[name])
            return ""
        return value


# Which details each method needs, and how each is checked.
KIND_FIELDS = {
    WithdrawalMethodKind.ACH: ("holder_name", "routing_number", "account_number"),
    WithdrawalMethodKind.LOCAL_BANK: ("holder_name", "iban"),
    WithdrawalMethodKind.WIRE: ("holder_name", "bic", "iban", "account_number"),
    WithdrawalMethodKind.PAYPAL: ("email",),
    WithdrawalMethodKind.INSTANT: ("holder_name", "card_number"),
}
CHECKS: dict[str, Callable[[str], bool]] = {
    "routing_number": rtn.is_valid,
    "account_number": lambda v: bool(re.fullmatch(r"[0-9]{4,17}", v)),
    "iban": iban.is_valid,
    "bic": bic.is_valid,
    "card_number": card_number_valid,
}
INVALID = {
    "routing_number": "Enter the 9-digit routing number printed on your checks.",
    "account_number": "Enter the account number: 4 to 17 digits.",
    "iban": "This is not a valid IBAN; check it against your bank statement.",
    "bic": "Enter the bank's 8- or 11-character SWIFT/BIC code.",
    "card_number": "Enter the debit card's number as printed on it.",
}


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
