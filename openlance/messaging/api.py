from __future__ import annotations

import json
from datetime import datetime

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError as PydanticValidationError

from openlance.accounts.auth import request_user, scope_first
from openlance.core.apitools import Page, PageQuery, StrictSchema, paginate
from openlance.core.errors import MAX_ID, InvalidInput, require_id
from openlance.core.problems import problems
from openlance.core.ratelimits import rate_check
from openlance.messaging import selectors, services
from openlance.messaging.downloads import attachment_response
from openlance.messaging.limits import MESSAGES
from openlance.messaging.models import MAX_ATTACHMENTS, MAX_BODY_LENGTH, Conversation, Message

router = Router(tags=["conversations"])


class MemberOut(Schema):
    id: int
    name: str = Field(description="The member's public name.")


class ConversationOut(Schema):
    id: int
    topic: str = Field(examples=["proposal:42"], description="What the conversation is about.")
    title: str
    members: list[MemberOut]
    unread: int = Field(description="Messages from others this user has not read yet.")
    last_read_at: datetime | None
    last_message_at: datetime | None
    last_message_snippet: str
    created_at: datetime


class MessageAttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class ConversationMessageOut(Schema):
    id: int
    conversation_id: int
    sender: MemberOut
    body: str
    attachments: list[MessageAttachmentOut]
    created_at: datetime


class ConversationMessageIn(StrictSchema):
    body: str = Field(max_length=MAX_BODY_LENGTH)


class MessagesQuery(PageQuery):
    after_id: int | None = Field(
        default=None, ge=0, le=MAX_ID, description="Only messages newer than this one."
    )


def _conversation(conversation: Conversation) -> ConversationOut:
    return ConversationOut(
        id=conversation.pk,
        topic=conversation.topic,
        title=conversation.title,
        members=[
            MemberOut(id=m.user.pk, name=m.user.public_name) for m in conversation.memberships.all()
        ],
        unread=conversation.unread or 0,  # type: ignore[attr-defined]
        last_read_at=conversation.last_read_at,  # type: ignore[attr-defined]
        last_message_at=conversation.last_message_at,
        last_message_snippet=selectors.snippet(conversation.last_body),  # type: ignore[attr-defined]
        created_at=conversation.created_at,
    )


def _message(message: Message) -> ConversationMessageOut:
    return ConversationMessageOut(
        id=message.pk,
        conversation_id=message.conversation_id,
        sender=MemberOut(id=message.sender.pk, name=message.sender.public_name),
        body=message.body,
        attachments=[
            MessageAttachmentOut(
                id=a.pk,
                name=a.name,
                size=a.size,
                content_type=a.content_type,
                url=reverse(
                    "api:conversation_attachment",
                    kwargs={"conversation_id": message.conversation_id, "attachment_id": a.pk},
                ),
            )
            for a in message.attachments.all()
        ],
        created_at=message.created_at,
    )


@router.get(
    "/conversations",
    response=Page[ConversationOut],
    summary="My conversations, most recent activity first",
)
def conversation_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, object]:
    page = paginate(selectors.conversations_for(user=request_user(request)), query)
    page["items"] = [_conversation(c) for c in page["items"]]
    return page


@router.get("/conversations/{conversation_id}", response=ConversationOut, summary="A conversation")
def conversation_detail(request: HttpRequest, conversation_id: int) -> ConversationOut:
    return _conversation(
        selectors.conversation_for(user=request_user(request), conversation_id=conversation_id)
    )


@router.get(
    "/conversations/{conversation_id}/messages",
    response=Page[ConversationMessageOut],
    summary="The thread, oldest first",
)
@scope_first(
    lambda request, conversation_id: selectors.conversation_for(
        user=request_user(request), conversation_id=conversation_id
    )
)
def message_list(
    request: HttpRequest, conversation_id: int, query: Query[MessagesQuery]
) -> dict[str, object]:
    conversation = selectors.conversation_for(
        user=request_user(request), conversation_id=conversation_id
    )
    messages = selectors.messages_in(conversation=conversation, after_id=query.after_id)
    page = paginate(messages, query)
    page["items"] = [_message(m) for m in page["items"]]
    return page


_SEND_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ConversationMessageIn.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "body": {"type": "string", "maxLength": MAX_BODY_LENGTH},
                    "files": {
                        "type": "array",
                        "maxItems": MAX_ATTACHMENTS,
                        "items": {"type": "string", "format": "binary"},
                        "description": "PDF, JPEG, PNG, WebP or GIF; at most 10 MB each.",
                    },
                },
            }
        },
    },
}


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: ConversationMessageOut},
    summary="Send a message (JSON, or multipart with files)",
    openapi_extra={"requestBody": _SEND_BODY, **problems(429)},
)
def message_create(request: HttpRequest, conversation_id: int) -> Status[ConversationMessageOut]:
    user = request_user(request)
    conversation = selectors.conversation_for(user=user, conversation_id=conversation_id)
    rate_check(request, MESSAGES)
    # One endpoint takes both shapes, so the body is read here rather than by a schema
    # parameter (which would fix a single content type).
    if request.content_type == "multipart/form-data":
        body = request.POST.get("body", "")
        files = request.FILES.getlist("files")
    else:
        try:
            payload = ConversationMessageIn.model_validate(json.loads(request.body or b"{}"))
        # RecursionError: json.loads gives up on input nested a thousand levels deep.
        except (ValueError, RecursionError, PydanticValidationError) as exc:
            raise InvalidInput(
                'Send JSON like {"body": "..."}, or multipart form data.',
                field_errors={"body": [str(exc).splitlines()[-1].strip()[:200] or "Invalid."]},
            ) from None
        body, files = payload.body, []
    message = services.message_send(
        conversation=conversation, sender=user, body=body, attachments=files
    )
    return Status(
        201, _message(selectors.messages_in(conversation=conversation).get(pk=message.pk))
    )


@router.post(
    "/conversations/{conversation_id}/read",
    response={204: None},
    summary="Mark everything in the conversation as read",
)
def conversation_mark_read(request: HttpRequest, conversation_id: int) -> Status[None]:
    user = request_user(request)
    conversation = selectors.conversation_for(user=user, conversation_id=conversation_id)
    services.conversation_read(conversation=conversation, user=user)
    return Status(204, None)


@router.get(
    "/conversations/{conversation_id}/attachments/{attachment_id}",
    url_name="conversation_attachment",
    summary="Download an attachment (members only)",
    response={200: None},
)
def attachment_download(
    request: HttpRequest, conversation_id: int, attachment_id: int
) -> FileResponse:
    require_id(conversation_id, "conversation")
    attachment = selectors.attachment_for(
        user=request_user(request), attachment_id=attachment_id, conversation_id=conversation_id
    )
    return attachment_response(attachment)
