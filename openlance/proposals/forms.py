"""HTML forms of proposals and invitations. The bid fields keep the names the gig math
fragment reads (bid_type, bid_amount, hourly_rate, work_hours, pitch_hours), so the form
itself is what htmx sends to it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from openlance.core.forms import DollarsField, MultipleFileField
from openlance.jobs.models import Duration, JobPost
from openlance.profiles.models import Profile
from openlance.proposals.models import MAX_PITCH_HOURS, MAX_WORK_HOURS, DeclineReason
from openlance.proposals.services import MilestoneDraft, ProposalDraft

MILESTONE_ROWS = 5


class ProposalForm(forms.Form):
    profile = forms.TypedChoiceField(coerce=int, label="Send with profile")
    cover_letter = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "prose-input"}),
        help_text="Why you, and how you would approach the work.",
    )
    bid_type = forms.CharField(widget=forms.HiddenInput)
    bid_amount = DollarsField(required=False, label="Your bid ($)")
    hourly_rate = DollarsField(required=False, label="Your hourly rate ($)")
    duration = forms.ChoiceField(choices=Duration.choices, label="How long will it take?")
    work_hours = forms.DecimalField(
        required=False,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_WORK_HOURS,
        label="Hours of work you expect",
        help_text="For the gig math only; not sent to the client.",
    )
    pitch_hours = forms.DecimalField(
        required=False,
        decimal_places=2,
        min_value=0,
        max_value=MAX_PITCH_HOURS,
        label="Hours spent pitching",
        help_text="For the gig math only.",
    )
    attachments = MultipleFileField(
        label="Attachments", help_text="Up to 5 PDFs or images, 10 MB each."
    )
    expected_cost = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args: Any, job: JobPost, profiles: list[Profile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self.fields["profile"].choices = [  # type: ignore[attr-defined]
            (p.pk, f"{'General' if p.is_general else 'Specialized'}: {p.title or 'Untitled'}")
            for p in profiles
        ]
        self.fields["bid_type"].initial = job.budget_type
        if job.budget_type == "fixed":
            del self.fields["hourly_rate"]
            for n in range(1, MILESTONE_ROWS + 1):
                self.fields[f"milestone_{n}_description"] = forms.CharField(
                    required=False, max_length=200, label=f"Milestone {n}"
                )
                self.fields[f"milestone_{n}_amount"] = DollarsField(
                    required=False, label="Amount ($)"
                )
                self.fields[f"milestone_{n}_due"] = forms.DateField(
                    required=False,
                    label="Due",
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
        else:
            del self.fields["bid_amount"]
        self.questions = list(job.questions.order_by("position"))
        for question in self.questions:
            self.fields[f"answer_{question.position}"] = forms.CharField(
                label=question.text,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @property
    def milestone_rows(self) -> list[tuple[forms.BoundField, ...]]:
        if self.job.budget_type != "fixed":
            return []
        return [
            (
                self[f"milestone_{n}_description"],
                self[f"milestone_{n}_amount"],
                self[f"milestone_{n}_due"],
            )
            for n in range(1, MILESTONE_ROWS + 1)
        ]

    @property
    def answer_fields(self) -> list[forms.BoundField]:
        return [self[f"answer_{q.position}"] for q in self.questions]

    def draft(self) -> ProposalDraft:
        data = self.cleaned_data
        milestones = [
            MilestoneDraft(
                description=data.get(f"milestone_{n}_description") or "",
                amount_cents=data.get(f"milestone_{n}_amount"),
                due_on=data.get(f"milestone_{n}_due"),
            )
            for n in range(1, MILESTONE_ROWS + 1)
            if self.job.budget_type == "fixed"
            and (data.get(f"milestone_{n}_description") or data.get(f"milestone_{n}_amount"))
        ]
        return ProposalDraft(
            profile_id=data["profile"],
            cover_letter=data["cover_letter"],
            bid_type=data["bid_type"],
            duration=data["duration"],
            bid_cents=data.get("bid_amount"),
            hourly_rate_cents=data.get("hourly_rate"),
            milestones=milestones,
            answers=[data.get(f"answer_{q.position}", "") for q in self.questions],
            expected_cost=data.get("expected_cost"),
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Reason (optional, not shown to the freelancer)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        max_length=10_000,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your first message starts the interview and shows the freelancer who you are.",
    )


class InvitationDeclineForm(forms.Form):
    reason = forms.ChoiceField(choices=DeclineReason.choices, label="Why?")
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Anything to add? (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InviteForm(forms.Form):
    job = forms.TypedChoiceField(coerce=int, label="Job post")
    message = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="Hello! I'd like to invite you to take a look at the job I've posted.",
    )

    def __init__(self, *args: Any, jobs: list[JobPost], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(j.pk, j.title) for j in jobs]  # type: ignore[attr-defined]
