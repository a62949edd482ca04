"""Forms of the contract room. They only parse; the services judge amounts and states."""

from __future__ import annotations

from typing import Any

from django import forms

from openlance.billing.card_forms import PayWithForm
from openlance.contracts.milestones.submissions import MAX_MESSAGE
from openlance.contracts.models import MAX_WEEKLY_HOURS, Milestone
from openlance.core.forms import DollarsField, MultipleFileField


class FundForm(PayWithForm):
    balance_label = "My Openlance balance"


class SubmitForm(forms.Form):
    message = forms.CharField(
        label="Message to the client",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    criteria_met = forms.TypedMultipleChoiceField(
        label="Acceptance criteria met",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    attachments = MultipleFileField(
        label="Files", required=False, help_text="PDF or images, up to 25 MB each."
    )
    acknowledge_unfunded = forms.BooleanField(
        label="I understand this milestone is not funded and my work on it is not protected.",
        required=False,
    )

    def __init__(self, *args: Any, milestone: Milestone, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        criteria = self.fields["criteria_met"]
        assert isinstance(criteria, forms.TypedMultipleChoiceField)
        criteria.choices = [(c.pk, c.text) for c in milestone.criteria.all()]
        if milestone.in_escrow_cents >= milestone.amount_cents:
            del self.fields["acknowledge_unfunded"]


class ApproveForm(forms.Form):
    amount = DollarsField(
        label="Release",
        required=False,
        help_text="Leave empty to release everything in escrow.",
    )
    remainder = forms.ChoiceField(
        label="If you release less",
        choices=[
            ("refund", "Refund the rest to my balance"),
            ("keep", "Keep the rest in escrow for the next milestone"),
        ],
        initial="refund",
        widget=forms.RadioSelect,
    )


class ChangesForm(forms.Form):
    message = forms.CharField(
        label="What should change?",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AmendmentForm(forms.Form):
    description = forms.CharField(label="Milestone", max_length=500)
    # The chat message it is proposed from, when it is ("propose as amendment").
    source_message = forms.IntegerField(required=False, widget=forms.HiddenInput)
    amount = DollarsField(label="Amount")
    due_date = forms.DateField(
        label="Due date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    criteria = forms.CharField(
        label="Acceptance criteria",
        required=False,
        help_text="One per line, at most 10.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_amount(self) -> int:
        amount = self.cleaned_data.get("amount")
        if amount is None:
            raise forms.ValidationError("Enter the milestone's amount.")
        return int(amount)

    def criteria_list(self) -> list[str]:
        return [line for line in self.cleaned_data.get("criteria", "").splitlines() if line.strip()]


class HourlyTermsForm(forms.Form):
    hourly_rate = DollarsField(label="New hourly rate")
    source_message = forms.IntegerField(required=False, widget=forms.HiddenInput)
    weekly_limit_hours = forms.IntegerField(
        label="New weekly limit (hours)", min_value=1, max_value=MAX_WEEKLY_HOURS
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_hourly_rate(self) -> int:
        rate = self.cleaned_data.get("hourly_rate")
        if rate is None:
            raise forms.ValidationError("Enter the new rate.")
        return int(rate)


class MilestoneChangeForm(forms.Form):
    milestone = forms.TypedChoiceField(label="Milestone", coerce=int)
    amount = DollarsField(
        label="New amount", required=False, help_text="Only while it is not funded."
    )
    due_date = forms.DateField(
        label="New due date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_message = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, milestones: list[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["milestone"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(m.pk, m.description) for m in milestones]
