from __future__ import annotations

from django import forms

from openlance.core.errors import MAX_ID
from openlance.core.forms import MultipleFileField, MultipleFileInput
from openlance.messaging.models import MAX_ATTACHMENTS, MAX_BODY_LENGTH


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=MAX_BODY_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a message…"}),
    )
    attachments = MultipleFileField(
        label="Attach files",
        help_text=f"PDF or images (JPEG, PNG, WebP, GIF), up to {MAX_ATTACHMENTS} files of 10 MB.",
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/*"}),
    )
    # The newest message the page already shows, so the answer carries only what is new.
    after = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_ID, widget=forms.HiddenInput
    )
