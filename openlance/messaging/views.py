"""The inbox and a conversation's thread. Sending and polling answer htmx with only the
new messages; without JavaScript the same form posts and redirects back to the thread."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from openlance.accounts.auth import request_user
from openlance.accounts.models import User
from openlance.core.errors import MAX_ID, DomainError, NotFound
from openlance.core.forms import add_domain_errors
from openlance.core.ratelimits import rate_exceeded
from openlance.messaging import selectors, services
from openlance.messaging.downloads import attachment_response
from openlance.messaging.forms import MessageForm
from openlance.messaging.limits import MESSAGES
from openlance.messaging.models import Conversation

INBOX_PAGE_SIZE = 25
# A thread page shows the latest messages; older ones stay reachable through the API.
THREAD_LIMIT = 200


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    try:
        return selectors.conversation_for(
            user=request_user(request), conversation_id=conversation_id
        )
    except NotFound:
        raise Http404("No such conversation.") from None


def _after(request: HttpRequest, value: str | None) -> int:
    try:
        after = int(value or 0)
    except ValueError:
        return 0
    return after if 0 <= after <= MAX_ID else 0


def _read_if_unread(conversation: Conversation, user: User) -> None:
    # Reading writes only when there is something unread, so an open tab's polling does
    # not write every ten seconds.
    if getattr(conversation, "unread", 0):
        services.conversation_read(conversation=conversation, user=user)


def _new_messages(
    request: HttpRequest, conversation: Conversation, after: int, *, fresh_form: bool = False
) -> HttpResponse:
    """The messages after `after`, with the poller and the form's marker moved past them
    (and, after sending, an empty form)."""
    messages = list(selectors.messages_in(conversation=conversation, after_id=after))
    last_id = messages[-1].pk if messages else after
    return render(
        request,
        "messaging/_new_messages.html",
        {
            "conversation": conversation,
            "thread": messages,
            "last_id": last_id,
            "oob": True,
            "fresh_form": fresh_form,
            "form": MessageForm(),
        },
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    pages = Paginator(selectors.conversations_for(user=user), INBOX_PAGE_SIZE)
    page = pages.get_page(request.GET.get("page"))
    rows = [
        {
            "conversation": c,
            "others": selectors.other_members(conversation=c, user=user),
            "snippet": selectors.snippet(c.last_body),
            "from_me": c.last_sender_id == user.pk,
        }
        for c in page.object_list
    ]
    return render(request, "messaging/inbox.html", {"rows": rows, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = request_user(request)
    conversation = _conversation(request, conversation_id)
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES)
        limited = rate_exceeded(request, MESSAGES)
        if limited:
            form.is_valid()
            form.add_error(None, MESSAGES.message)
        elif form.is_valid():
            try:
                services.message_send(
                    conversation=conversation,
                    sender=user,
                    body=form.cleaned_data["body"] or "",
                    attachments=form.cleaned_data["attachments"],
                )
            except DomainError as error:
                add_domain_errors(form, error)
        if not form.errors:
            if request.htmx:  # type: ignore[attr-defined]
                return _new_messages(
                    request, conversation, form.cleaned_data["after"] or 0, fresh_form=True
                )
            return redirect(f"{reverse('conversation_detail', args=[conversation.pk])}#composer")
        if request.htmx:  # type: ignore[attr-defined]
            # The refusal replaces the form in place (htmx does not swap error statuses).
            response = render(
                request,
                "messaging/_composer.html",
                {"conversation": conversation, "form": form, "last_id": form.data.get("after")},
            )
            response["HX-Retarget"] = "#composer"
            response["HX-Reswap"] = "outerHTML"
            return response
        status = 429 if limited else 422
    else:
        form = MessageForm()
        status = 200
    _read_if_unread(conversation, user)
    latest = list(selectors.messages_in(conversation=conversation).order_by("-id")[:THREAD_LIMIT])
    messages = latest[::-1]
    return render(
        request,
        "messaging/conversation.html",
        {
            "conversation": conversation,
            "others": selectors.other_members(conversation=conversation, user=user),
            "thread": messages,
            "truncated": len(latest) == THREAD_LIMIT,
            "last_id": messages[-1].pk if messages else 0,
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def conversation_poll(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    response = _new_messages(request, conversation, _after(request, request.GET.get("after")))
    _read_if_unread(conversation, request_user(request))
    return response


@login_required
@require_GET
def attachment_download(
    request: HttpRequest, conversation_id: int, attachment_id: int
) -> FileResponse:
    try:
        attachment = selectors.attachment_for(
            user=request_user(request), attachment_id=attachment_id, conversation_id=conversation_id
        )
    except NotFound:
        raise Http404("No such attachment.") from None
    return attachment_response(attachment)
