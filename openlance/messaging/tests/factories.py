from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.tests.files import pdf_bytes
from openlance.messaging.models import Conversation
from openlance.messaging.services import conversation_open

_topics = iter(range(1, 10**9))


def conversation(
    *members: User, topic: str | None = None, title: str = "Logo design"
) -> Conversation:
    """A conversation between the given users, or a fresh client and freelancer."""
    people = list(members) or [client_user(), freelancer_user()]
    return conversation_open(topic=topic or f"test:{next(_topics)}", title=title, members=people)


def pdf_upload(name: str = "brief.pdf", size: int = 0) -> SimpleUploadedFile:
    """A real one-page PDF; `size` bytes of padding (an embedded file) make it bigger."""
    if size:
        writer = PdfWriter()
        writer.add_blank_page(width=612, height=792)
        writer.add_attachment("padding.bin", b"0" * size)
        out = io.BytesIO()
        writer.write(out)
        body = out.getvalue()
    else:
        body = pdf_bytes()
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def png_upload(name: str = "sketch.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")
