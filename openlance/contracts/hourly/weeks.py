"""The hourly billing calendar (SPEC §7.2), all in UTC and all pure functions of a week.

A billing week runs from Monday 00:00 to Sunday 23:59:59. Its entries may change until the
next Monday at 11:59; at 12:00 the week is locked and invoiced. The client may dispute the
invoice until that Friday at 23:59; then the money is paid to the freelancer, who can
withdraw it from the Wednesday after. Times are half-open intervals: a week "locks at" the
first moment it is locked, a review "ends at" the first moment after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from openlance.core.money import round_half_up_div

WEEK = timedelta(days=7)
# Last week's entries may change until Monday 11:59 UTC; the invoice is issued at 12:00.
LOCK_AFTER_WEEK = timedelta(hours=12)
# The review window closes when Friday 23:59:59 of the invoice's week is over.
REVIEW_ENDS_AFTER_WEEK = timedelta(days=5)
# The money becomes available on the Wednesday after the review week.
AVAILABLE_AFTER_WEEK = timedelta(days=9)
SECONDS_PER_HOUR = 3600
# The calendar's range: times and weeks outside it are refused as input, long before any
# date arithmetic here could overflow.
FIRST_DAY = date(2000, 1, 3)  # a Monday
LAST_DAY = date(2099, 12, 28)  # a Monday


def week_of(moment: datetime) -> date:
    """The Monday of the billing week `moment` falls in."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def week_starts_at(week: date) -> datetime:
    return datetime.combine(week, time(0), tzinfo=UTC)


def week_ends_at(week: date) -> datetime:
    """The first moment after the week (the next Monday 00:00)."""
    return week_starts_at(week) + WEEK


def week_locks_at(week: date) -> datetime:
    """Monday 12:00 after the week: its entries are final and it is invoiced."""
    return week_ends_at(week) + LOCK_AFTER_WEEK


def review_ends_at(week: date) -> datetime:
    """The first moment after Friday 23:59:59 of the week after: the client's review is over."""
    return week_ends_at(week) + REVIEW_ENDS_AFTER_WEEK


def available_at(week: date) -> datetime:
    """The Wednesday after the review week: the freelancer may withdraw the money."""
    return week_ends_at(week) + AVAILABLE_AFTER_WEEK


def available_from(week: date, charged_at: datetime | None) -> datetime:
    """When an invoice's pay becomes available: the Wednesday after the review week, or, for
    money charged so late that the review was over (a balance topped up weeks later), as
    long after the charge as the review's end is before that Wednesday, so paid money is
    always held the same while a card payment could still be reversed."""
    usual = available_at(week)
    if charged_at is None:
        return usual
    return max(usual, charged_at + (AVAILABLE_AFTER_WEEK - REVIEW_ENDS_AFTER_WEEK))


def last_locked_week(now: datetime) -> date:
    """The newest week whose entries are final at `now`."""
    return week_of(now - LOCK_AFTER_WEEK) - WEEK


def is_editable(week: date, now: datetime) -> bool:
    """The current week and last week until Monday 11:59 UTC."""
    return now < week_locks_at(week)


def billable_seconds(seconds_logged: int, weekly_limit_hours: int | None) -> int:
    """Hours beyond the weekly limit are recorded but never billed."""
    if weekly_limit_hours is None:
        return seconds_logged
    return min(seconds_logged, weekly_limit_hours * SECONDS_PER_HOUR)


def amount_cents(seconds_billed: int, hourly_rate_cents: int) -> int:
    """What `seconds_billed` cost at the rate, to the cent, half up."""
    return round_half_up_div(seconds_billed * hourly_rate_cents, SECONDS_PER_HOUR)


def hours_text(seconds: int) -> str:
    """Hours and minutes as people read them on a timesheet: "7:05" (minutes rounded down)."""
    hours, rest = divmod(seconds, SECONDS_PER_HOUR)
    return f"{hours}:{rest // 60:02d}"


def week_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY
