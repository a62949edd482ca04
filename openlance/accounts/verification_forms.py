"""Forms of the location verification page. The documents are judged by content in
`accounts.services`; these only collect them."""

from __future__ import annotations

from django import forms

from openlance.core.forms import country_choices

DOCUMENT_HELP = "A PDF or a photo (JPEG, PNG, WebP or GIF), at most 10 MB."


class VerificationForm(forms.Form):
    country = forms.ChoiceField(choices=country_choices)
    city = forms.CharField(max_length=100)
    id_document = forms.FileField(
        label="Identity document",
        help_text="Passport, national ID card or driving licence. " + DOCUMENT_HELP,
    )
    proof_of_address = forms.FileField(
        label="Proof of address",
        help_text="A utility bill or bank statement from the last 3 months. " + DOCUMENT_HELP,
    )


class AppealForm(forms.Form):
    id_document = forms.FileField(label="Identity document", help_text=DOCUMENT_HELP)
    proof_of_address = forms.FileField(label="Proof of address", help_text=DOCUMENT_HELP)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        label="What is new",
        help_text="Tell the verifier what you changed since the rejection.",
    )
