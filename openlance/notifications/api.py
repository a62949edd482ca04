"""Notifications API (tag `notifications`): the caller's notifications with filters, marking
them read, and the email choices per topic. Nobody reaches anyone else's (404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from openlance.accounts.auth import request_user, scope_first
from openlance.core.apitools import OneOf, Page, PageQuery, StrictSchema, paginate
from openlance.core.errors import NotFound
from openlance.core.models import Notification, NotificationTopic
from openlance.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    topic: Annotated[str, OneOf(NotificationTopic)]
    title: str
    body: str
    path: str = Field(description="The page to act on, on this site.")
    created_at: datetime
    read_at: datetime | None


class NotificationQuery(PageQuery):
    topic: Annotated[str, OneOf(NotificationTopic)] | None = None
    unread: bool = False


class ReadAllIn(StrictSchema):
    topic: Annotated[str, OneOf(NotificationTopic)] | None = None


class ReadAllOut(Schema):
    marked_read: int


class EmailChoiceOut(Schema):
    topic: Annotated[str, OneOf(NotificationTopic)]
    label: str
    essential: bool = Field(description="Always emailed: money, account, disputes.")
    email: bool


class EmailChoiceIn(StrictSchema):
    email: bool


def _out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.pk,
        topic=notification.topic,
        title=notification.title,
        body=notification.body,
        path=notification.path,
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


@router.get("/notifications", response=Page[NotificationOut], summary="Your notifications")
def notification_list(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    found = selectors.notifications_of(
        user=request_user(request), topic=query.topic or "", unread=query.unread
    )
    page = paginate(found, query)
    page["items"] = [_out(notification) for notification in page["items"]]
    return page


@router.post(
    "/notifications/{notification_id}/read", response=NotificationOut, summary="Mark one read"
)
def notification_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    return _out(
        services.notification_read(user=request_user(request), notification_id=notification_id)
    )


@router.post("/notifications/read-all", response=ReadAllOut, summary="Mark all read")
def notifications_read_all(request: HttpRequest, payload: ReadAllIn) -> ReadAllOut:
    count = services.notifications_read_all(user=request_user(request), topic=payload.topic or "")
    return ReadAllOut(marked_read=count)


@router.get(
    "/me/notification-preferences",
    response=list[EmailChoiceOut],
    summary="Which topics also come by email",
)
def email_choices(request: HttpRequest) -> list[EmailChoiceOut]:
    return [
        EmailChoiceOut(
            topic=choice.topic, label=choice.label, essential=choice.essential, email=choice.email
        )
        for choice in selectors.email_choices(user=request_user(request))
    ]


def _known_topic(request: HttpRequest, topic: str) -> str:
    if topic not in NotificationTopic.values:
        raise NotFound("There is no such topic.")
    return topic


@router.put(
    "/me/notification-preferences/{topic}",
    response=list[EmailChoiceOut],
    summary="Turn a topic's emails on or off",
)
@scope_first(_known_topic)
def email_choice_set(
    request: HttpRequest, topic: str, payload: EmailChoiceIn
) -> list[EmailChoiceOut]:
    """Essential topics (money, account, disputes) cannot be turned off (409)."""
    user = request_user(request)
    services.email_preference_set(
        user_id=user.pk, topic=_known_topic(request, topic), email=payload.email
    )
    return email_choices(request)
