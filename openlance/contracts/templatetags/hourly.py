"""Timesheet formatting (`{% load hourly %}`): seconds as the hours and minutes people
read on a timesheet."""

from __future__ import annotations

from django import template

from openlance.contracts.hourly.weeks import hours_text

register = template.Library()


@register.filter
def hours(seconds: int | None) -> str:
    """Seconds as "7:05" (minutes rounded down); nothing stays nothing."""
    if seconds is None or seconds == "":
        return ""
    return hours_text(int(seconds))
