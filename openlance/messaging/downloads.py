"""Serving a message attachment to a member. The caller has already scoped the attachment
to the viewer (a selector that 404s for non-members)."""

from __future__ import annotations

from django.http import FileResponse

from openlance.core.downloads import stored_download
from openlance.messaging.models import MessageAttachment


def attachment_response(attachment: MessageAttachment) -> FileResponse:
    return stored_download(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )
