"""Uploaded files are judged by their content, never by their name or declared type.
Images are decoded and re-encoded by Pillow, which drops metadata (location in EXIF) and
anything hidden after the image data."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from openlance.core.errors import InvalidInput

MEGABYTE = 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
PDF_MAGIC = b"%PDF-"
# What checked_document produces: PDFs kept, images re-encoded to PNG (with alpha) or JPEG.
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def _too_big(upload: UploadedFile, max_bytes: int, field: str) -> None:
    if upload.size is None or upload.size > max_bytes:
        raise InvalidInput(
            f"The file is larger than {max_bytes // MEGABYTE} MB.",
            field_errors={field: [f"At most {max_bytes // MEGABYTE} MB."]},
        )


def _read(upload: UploadedFile) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def reencode_image(
    upload: UploadedFile, *, field: str, max_bytes: int = 5 * MEGABYTE, max_side: int = 2048
) -> ContentFile[bytes]:
    """A clean copy of an uploaded image, at most `max_side` pixels wide or high."""
    _too_big(upload, max_bytes, field)
    data = _read(upload)
    not_an_image = InvalidInput(
        "That file is not an image we can read (use JPEG, PNG, WebP or GIF).",
        field_errors={field: ["Not a JPEG, PNG, WebP or GIF image."]},
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_IMAGE_FORMATS:
                raise not_an_image
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise InvalidInput(
                    "The image has too many pixels.", field_errors={field: ["Image too large."]}
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "P")
            clean = image.convert("RGBA" if has_alpha else "RGB")
            clean.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if has_alpha:
                clean.save(out, format="PNG", optimize=True)
                extension = "png"
            else:
                clean.save(out, format="JPEG", quality=88, optimize=True)
                extension = "jpg"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    stem = PurePath(upload.name or "image").stem[:60] or "image"
    return ContentFile(out.getvalue(), name=f"{stem}.{extension}")


def document_kind(upload: UploadedFile) -> str:
    """'pdf' or 'image' by content, or an InvalidInput naming the problem."""
    data = _read(upload)
    if data.startswith(PDF_MAGIC):
        return "pdf"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format in ALLOWED_IMAGE_FORMATS:
                probe.verify()
                return "image"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        pass
    raise InvalidInput("Only PDF, JPEG, PNG, WebP or GIF files are accepted.")


def checked_document(
    upload: UploadedFile, *, field: str, max_bytes: int = 10 * MEGABYTE
) -> ContentFile[bytes]:
    """A PDF kept as sent, or an image re-encoded; anything else is refused."""
    _too_big(upload, max_bytes, field)
    try:
        kind = document_kind(upload)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field_errors={field: [exc.detail]}) from None
    if kind == "image":
        return reencode_image(upload, field=field, max_bytes=max_bytes, max_side=4096)
    stem = PurePath(upload.name or "document").stem[:60] or "document"
    return ContentFile(_read(upload), name=f"{stem}.pdf")


@dataclass(frozen=True)
class Document:
    """A checked upload ready to be stored as an attachment."""

    content: ContentFile[bytes]
    # What the sender called it, with the extension of what the file really is (an image
    # may have been re-encoded), so a download opens with the right program.
    name: str
    content_type: str

    @property
    def size(self) -> int:
        return self.content.size


def checked_attachment(
    upload: UploadedFile, *, field: str, max_bytes: int = 10 * MEGABYTE
) -> Document:
    """checked_document, with the name to show and the real MIME type."""
    clean = checked_document(upload, field=field, max_bytes=max_bytes)
    extension = PurePath(clean.name or "").suffix.lstrip(".")
    stem = PurePath(upload.name or "attachment").stem.strip()[:150] or "attachment"
    return Document(
        content=clean, name=f"{stem}.{extension}", content_type=CONTENT_TYPES[extension]
    )
