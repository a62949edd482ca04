"""The dispute page's forms. They only parse; the services judge."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from openlance.core.forms import DollarsField
from openlance.disputes.services import MAX_TEXT


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="What went wrong?", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResponseForm(forms.Form):
    response = forms.CharField(
        label="Your side", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )


class ShareForm(forms.Form):
    """A mediator's split: the freelancer's share of the escrow; the rest goes back."""

    freelancer_share = DollarsField(label="To the freelancer")
    note = forms.CharField(
        label="Why", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_freelancer_share(self) -> int:
        share = self.cleaned_data.get("freelancer_share")
        if share is None:
            raise forms.ValidationError("Enter the freelancer's share.")
        return int(share)


class HoursForm(forms.Form):
    """A mediator's decision on a disputed invoice: how many of its billed hours stand."""

    # Four places: a hundredth of an hour is 36 seconds, too coarse to bill an invoice
    # counted to the second in full.
    hours = forms.DecimalField(
        label="Hours billed",
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=4,
        help_text="In hours, e.g. 12.5; the rest of the invoice's hours are refunded.",
    )
    note = forms.CharField(
        label="Why", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_hours(self) -> int:
        """In seconds, as the invoice counts them."""
        hours = self.cleaned_data["hours"]
        return int((hours * 3600).to_integral_value())
