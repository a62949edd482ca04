"""The gig math calculator's inputs, shared by its page and the fragment the proposal form
embeds."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms

from openlance.core.forms import DollarsField
from openlance.insights.gigmath import DEFAULT_PITCH_HOURS
from openlance.proposals.models import MAX_PITCH_HOURS, MAX_WORK_HOURS

BID_TYPES = [("fixed", "Fixed price"), ("hourly", "Hourly rate")]
HOURS_WIDGET = forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "8"})


class GigMathForm(forms.Form):
    # Any post the freelancer may see is accepted (the proposal form sends its own); the
    # list offered on the calculator page is only a convenience.
    job = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.Select,
        label="Job",
        help_text="Its client and Connects cost are used; leave empty for a freehand bid.",
    )
    bid_type = forms.ChoiceField(choices=BID_TYPES, initial="fixed", label="Bid type")
    bid_amount = DollarsField(required=False, label="Fixed price (USD)")
    hourly_rate = DollarsField(required=False, label="Hourly rate (USD)")
    work_hours = forms.DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_WORK_HOURS,
        label="Working hours",
        help_text="How long the work will take you.",
        widget=HOURS_WIDGET,
    )
    pitch_hours = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_PITCH_HOURS,
        required=False,
        label="Pitching hours",
        help_text=f"Reading the post and writing the proposal; {DEFAULT_PITCH_HOURS} if empty.",
        widget=HOURS_WIDGET,
    )

    def offer_jobs(self, jobs: Sequence[tuple[int, str]]) -> None:
        widget = self.fields["job"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [("", "No job — a freehand bid"), *jobs]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        field = "hourly_rate" if data.get("bid_type") == "hourly" else "bid_amount"
        if "bid_type" in data and data.get(field) is None and field not in self.errors:
            self.add_error(field, "Enter your bid.")
        if data.get("pitch_hours") is None and "pitch_hours" not in self.errors:
            data["pitch_hours"] = DEFAULT_PITCH_HOURS
        return data
