"""HTML forms of offers. Milestones are numbered rows (description, amount, due date and
the acceptance criteria one per line); empty rows are ignored and the client adds rows as
needed. The service judges the terms; these forms only parse what was typed."""

from __future__ import annotations

from typing import Any

from django import forms

from openlance.contracts.models import MAX_MILESTONES, ContractKind, Offer
from openlance.contracts.offers.services import MilestoneTerms, OfferTerms
from openlance.core.forms import DollarsField
from openlance.core.money import Money
from openlance.jobs.models import JobPost


def rows_posted(data: Any) -> int:
    """How many milestone rows a submitted form had (the client may have added some)."""
    numbers = [
        int(key.split("_")[1])
        for key in data
        if key.startswith("milestone_") and key.split("_")[1].isdigit()
    ]
    return min(max(numbers, default=1), MAX_MILESTONES)


class OfferForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ContractKind.choices, widget=forms.RadioSelect, label="Contract type"
    )
    title = forms.CharField(max_length=120, label="Contract title")
    description = forms.CharField(
        required=False,
        max_length=5000,
        label="Description of the work",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    start_date = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    hourly_rate = DollarsField(required=False, label="Hourly rate ($)", help_text="At least $3.")
    weekly_limit_hours = forms.IntegerField(
        required=False, min_value=1, max_value=168, label="Weekly limit (hours)"
    )
    manual_time_allowed = forms.BooleanField(required=False, label="Allow manual time entries")
    keep_post_open = forms.BooleanField(
        required=False,
        label="Keep the post open for more hires",
        help_text="Otherwise the post closes as hired when this offer is accepted.",
    )
    message = forms.CharField(
        required=False,
        max_length=5000,
        label="Message to the freelancer",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, rows: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = min(max(rows, 1), MAX_MILESTONES)
        for n in range(1, self.rows + 1):
            self.fields[f"milestone_{n}_description"] = forms.CharField(
                required=False, max_length=500, label=f"Milestone {n}"
            )
            self.fields[f"milestone_{n}_amount"] = DollarsField(required=False, label="Amount ($)")
            self.fields[f"milestone_{n}_due"] = forms.DateField(
                required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"milestone_{n}_criteria"] = forms.CharField(
                required=False,
                max_length=3500,
                label="Acceptance criteria",
                help_text="One per line, up to 10.",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def milestone_row(self, n: int) -> tuple[forms.BoundField, ...]:
        return (
            self[f"milestone_{n}_description"],
            self[f"milestone_{n}_amount"],
            self[f"milestone_{n}_due"],
            self[f"milestone_{n}_criteria"],
        )

    @property
    def milestone_rows(self) -> list[tuple[forms.BoundField, ...]]:
        return [self.milestone_row(n) for n in range(1, self.rows + 1)]

    @property
    def next_row(self) -> int | None:
        """The number of the row "Add a milestone" adds, while there is room for one."""
        return self.rows + 1 if self.rows < MAX_MILESTONES else None

    def add_error(self, field: str | None, error: Any) -> None:
        # The service names milestone fields "milestones.0.amount"; show them on the row.
        if field and field.startswith("milestones."):
            parts = field.split(".")
            if len(parts) == 3 and parts[1].isdigit():
                row = f"milestone_{self._row_of_index(int(parts[1]))}_{_ROW_FIELD[parts[2]]}"
                if row in self.fields:
                    field = row
            else:
                field = None
        super().add_error(field, error)

    def _row_of_index(self, index: int) -> int:
        """The form row of the `index`-th filled milestone (empty rows were skipped)."""
        filled = [n for n in range(1, self.rows + 1) if self._filled(n)]
        return filled[index] if index < len(filled) else 1

    def _filled(self, n: int) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(
            data.get(f"milestone_{n}_{name}") for name in ("description", "amount", "criteria")
        )

    def terms(self) -> OfferTerms:
        data = self.cleaned_data
        fixed = data["kind"] == ContractKind.FIXED
        return OfferTerms(
            kind=data["kind"],
            title=data["title"],
            description=data.get("description") or "",
            start_date=data["start_date"],
            milestones=[
                MilestoneTerms(
                    description=data.get(f"milestone_{n}_description") or "",
                    amount_cents=data.get(f"milestone_{n}_amount"),
                    due_date=data.get(f"milestone_{n}_due"),
                    criteria=(data.get(f"milestone_{n}_criteria") or "").splitlines(),
                )
                for n in range(1, self.rows + 1)
                if fixed and self._filled(n)
            ],
            hourly_rate_cents=None if fixed else data.get("hourly_rate"),
            weekly_limit_hours=None if fixed else data.get("weekly_limit_hours"),
            manual_time_allowed=not fixed and bool(data.get("manual_time_allowed")),
            keep_post_open=bool(data.get("keep_post_open")),
            message=data.get("message") or "",
        )


_ROW_FIELD = {
    "description": "description",
    "amount": "amount",
    "due_date": "due",
    "criteria": "criteria",
}


class DirectOfferForm(OfferForm):
    """An offer straight to a freelancer, on one of the client's open posts."""

    job = forms.TypedChoiceField(coerce=int, label="For your job post")

    def __init__(self, *args: Any, jobs: list[JobPost], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(job.pk, job.title) for job in jobs]  # type: ignore[attr-defined]
        self.order_fields(["job"])


def offer_initial(offer: Offer) -> dict[str, Any]:
    """The form's starting values for changing `offer`."""
    initial: dict[str, Any] = {
        "kind": offer.kind,
        "title": offer.title,
        "description": offer.description,
        "start_date": offer.start_date,
        "hourly_rate": (
            None if offer.hourly_rate_cents is None else Money(offer.hourly_rate_cents).amount
        ),
        "weekly_limit_hours": offer.weekly_limit_hours,
        "manual_time_allowed": offer.manual_time_allowed,
        "keep_post_open": offer.keep_post_open,
        "message": offer.message,
    }
    for n, milestone in enumerate(offer.milestones.all(), start=1):
        initial[f"milestone_{n}_description"] = milestone.description
        initial[f"milestone_{n}_amount"] = Money(milestone.amount_cents).amount
        initial[f"milestone_{n}_due"] = milestone.due_date
        initial[f"milestone_{n}_criteria"] = "\n".join(milestone.criteria)
    return initial


class DeclineForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Reason (optional, shown to the client)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AcceptForm(forms.Form):
    revision = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
