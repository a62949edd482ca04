"""The notification centre (/notifications/): the list with filters, opening one (marked read
on the way to the page it is about), marking read with htmx, the email choices, and the
one-click unsubscribe an email links to (which works without signing in)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openlance.accounts.auth import request_user
from openlance.core.errors import DomainError
from openlance.core.models import NotificationTopic
from openlance.core.views import or_404
from openlance.notifications import selectors, services

PAGE_SIZE = 30


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    topic = request.GET.get("topic", "")
    if topic not in NotificationTopic.values:
        topic = ""
    unread = request.GET.get("unread") == "1"
    found = selectors.notifications_of(user=user, topic=topic, unread=unread)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "topic": topic,
        "unread": unread,
        "topics": NotificationTopic.choices,
    }
    return render(request, "notifications/list.html", context)


def _safe(path: str) -> str:
    return path if path.startswith("/") and not path.startswith("//") else "/notifications/"


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Go to what the notification is about, marked read on the way."""
    notification = or_404(
        services.notification_read, user=request_user(request), notification_id=notification_id
    )
    return redirect(_safe(notification.path))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = or_404(
        services.notification_read, user=request_user(request), notification_id=notification_id
    )
    if getattr(request, "htmx", False):
        return render(request, "notifications/_item.html", {"notification": notification})
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    topic = request.POST.get("topic", "")
    try:
        count = services.notifications_read_all(user=request_user(request), topic=topic)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if request.method == "POST":
        chosen = set(request.POST.getlist("email"))
        for choice in selectors.email_choices(user=user):
            if not choice.essential:
                services.email_preference_set(
                    user_id=user.pk, topic=choice.topic, email=choice.topic in chosen
                )
        messages.success(request, "Your email choices are saved.")
        return redirect("notification_preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"choices": selectors.email_choices(user=user)},
    )


# A mail client's one-click unsubscribe (RFC 8058) posts without the site's cookies.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def notifications_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"token": token})
    try:
        label = services.unsubscribe(token=token)
    except DomainError as error:
        return render(
            request, "notifications/unsubscribe.html", {"error": error.detail}, status=400
        )
    return render(request, "notifications/unsubscribe.html", {"done": label})
