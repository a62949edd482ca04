"""The dispute page's forms. They only parse; the services judge."""

from __future__ import annotations

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
