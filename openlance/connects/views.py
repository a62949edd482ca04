"""The Connects history page: every grant, purchase, spend, refund and expiry."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openlance.accounts.models import User
from openlance.connects.selectors import connects_balance
from openlance.connects.selectors import connects_history as history_of

MOVES_PER_PAGE = 25


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
    is_htmx = request.headers.get("HX-Request") == "true"
    template = "connects/_history_list.html" if is_htmx else "connects/history.html"
    return render(request, template, context)
