"""Business days for dispute deadlines (SPEC §9, §18: 5 business days to respond): Monday to
Friday, counted from the moment the dispute opened; weekends do not count."""

from __future__ import annotations

from datetime import datetime, timedelta

SATURDAY = 5


def add_business_days(moment: datetime, days: int) -> datetime:
    """The same time of day `days` weekdays later (a start on a weekend counts from Monday)."""
    result = moment
    while result.weekday() >= SATURDAY:
        result += timedelta(days=1)
    left = days
    while left:
        result += timedelta(days=1)
        if result.weekday() < SATURDAY:
            left -= 1
    return result
