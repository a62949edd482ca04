"""The Connects history page: every grant, purchase, spend, refund and expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openlance.accounts.models import User
from openlance.connects.selectors import balance_at_month_ends, connects_balance
from openlance.connects.selectors import connects_history as history_of
from openlance.core import clock
from openlance.core.charts import BarChart, Series, bar_chart, month_starts

MOVES_PER_PAGE = 25
CHART_MONTHS = 12


def _balance_chart(user: User) -> BarChart:
    """The balance at the end of each of the last 12 months (the current one: now)."""
    now = clock.now()
    starts = month_starts(now, CHART_MONTHS)
    ends = [datetime(s.year + (s.month == 12), s.month % 12 + 1, 1, tzinfo=UTC) for s in starts]
    balances = balance_at_month_ends(user=user, months=[min(end, now) for end in ends])
    return bar_chart(
        "Connects at the end of each month",
        [f"{s:%b}" for s in starts],
        [Series("Connects", tuple(balances))],
        money=False,
        summary=f"Connects at the end of each month, {starts[0]:%B %Y} to now: from "
        f"{balances[0]:,} to {balances[-1]:,}, at most {max(balances):,}.",
    )


@login_required
@require_GET
def connects_history(request: HttpRequest) -> HttpResponse:
    """htmx page turns get only the list, swapped in place."""
    user = request.user
    assert isinstance(user, User)
    if not user.is_freelancer:
        return render(request, "web/role_needed.html", {"role": "freelancer"}, status=403)
    page = Paginator(history_of(user=user), MOVES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "balance": connects_balance(user=user)}
    if not request.headers.get("HX-Request"):
        context["chart"] = _balance_chart(user)
    is_htmx = request.headers.get("HX-Request") == "true"
    template = "connects/_history_list.html" if is_htmx else "connects/history.html"
    return render(request, template, context)
