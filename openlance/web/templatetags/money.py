"""Money and rate formatting for templates. Loaded by name (`{% load money %}`), so templates
of lower apps can use it without their Python importing the web layer."""

from __future__ import annotations

from typing import Any

from django import template

from openlance.core.money import DEFAULT_CURRENCY, Money
from openlance.web.policy_display import percent

register = template.Library()


@register.filter
def money(cents: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """Cents as "$1,234.56"; an empty value stays empty rather than reading as $0.00."""
    if cents is None or cents == "":
        return ""
    return str(Money(int(cents), currency or DEFAULT_CURRENCY))


@register.filter
def budget(job: Any) -> str:
    """A post's budget as lists show it: "Fixed price $500.00", or "Hourly $20.00" and
    "$40.00" joined by an en dash. `job` is a post model or anything with its budget
    columns (a search card)."""
    if job.budget_type == "fixed":
        return f"Fixed price {money(job.budget_cents)}"
    return f"Hourly {money(job.hourly_min_cents)}\u2013{money(job.hourly_max_cents)}"


@register.filter
def signed_money(cents: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """Like `money`, with an explicit "+" on credits so a list of movements reads both ways."""
    if cents is None or cents == "":
        return ""
    text = money(cents, currency)
    return f"+{text}" if int(cents) > 0 else text


@register.filter
def percent_bp(basis_points: int | None) -> str:
    """Basis points as a percentage without trailing zeros: 2000 → "20%", 275 → "2.75%"."""
    if basis_points is None or basis_points == "":
        return ""
    return percent(int(basis_points))
