"""Serving a message attachment to a member. The caller has already scoped the attachment
to the viewer (a selector that 404s for non-members); this only sends the bytes safely."""

from __future__ import annotations

from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404

from openlance.messaging.models import MessageAttachment


def attachment_response(attachment: MessageAttachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        raise Http404("No such file.") from None
    # Always a download, never rendered on our domain: a PDF's bytes are kept as sent, and
    # the sandbox stops anything that does get rendered from running as us.
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
