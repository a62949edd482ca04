"""The timesheet's entry form: a day and two clock times in UTC (how the billing week is
kept), turned into the interval the services judge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms

from openlance.billing.card_forms import PayWithForm
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import MAX_DISPUTE_REASON, MAX_MEMO


class TimeEntryForm(forms.Form):
    day = forms.DateField(label="Day (UTC)", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    # The forms sit in a row: their hints are in the page's text, not under a field.
    end = forms.TimeField(label="To", widget=forms.TimeInput(attrs={"type": "time"}))
    memo = forms.CharField(label="Memo", required=False, max_length=MAX_MEMO)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        if day is None or start is None or end is None:
            return data
        if not weeks.week_in_range(day):
            self.add_error("day", "That day is out of range.")
            return data
        started_at = datetime.combine(day, start, tzinfo=UTC)
        ended_at = datetime.combine(day, end, tzinfo=UTC)
        if ended_at <= started_at and end.hour == end.minute == 0:
            ended_at += timedelta(days=1)
        if ended_at <= started_at:
            self.add_error("end", "The end comes after the start.")
        data["started_at"], data["ended_at"] = started_at, ended_at
        return data


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with this invoice?",
        max_length=MAX_DISPUTE_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Which hours, and why. The freelancer and a mediator read it.",
    )


class HourlyCardForm(PayWithForm):
    balance_label = "Only my Openlance balance"
    always_save = True
