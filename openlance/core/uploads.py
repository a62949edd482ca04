"""Uploaded files are judged by their content, never by their name or declared type:
each is parsed as what it claims to be, and refused when that fails.

Images are decoded and re-encoded by Pillow, which drops metadata (location in EXIF) and
anything hidden after the image data; their size in pixels is read from the header and
bounded before anything is decoded. PDFs must open with pypdf and have a page tree with
at least one page: a file that merely starts with "%PDF-" (an HTML page, say) is not a
PDF. Checking either is bounded in time, whatever the file. Nothing else is accepted (no
office documents, archives or text files), so there is nothing else to parse."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError
from pypdf import Configuration, PasswordType, PdfReader, apply_configuration
from pypdf.generic import ArrayObject, DictionaryObject

from openlance.core.errors import InvalidInput

MEGABYTE = 1024 * 1024
# Read from the header, before any decoding, and bounded so that decoding, shrinking and
# re-encoding one image stays under a second even on a small, busy machine. A JPEG (the
# photo format) costs far less per pixel than a PNG, GIF or WebP (screenshots, graphics),
# and is often decoded straight at a reduced size, so it may have more: 25 megapixels is
# more than a phone's photo; 16 is a 5K screenshot (5120 x 2880) and then some.
MAX_JPEG_PIXELS = 25_000_000
MAX_IMAGE_PIXELS = 16_000_000
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
# A PDF ends with %%EOF; some mail clients and scanners append a little after it.
PDF_TAIL_BYTES = 64 * 1024
# A 1,000-page report has a few thousand objects; 25,000 take pypdf about 0.15 s of CPU.
MAX_PDF_OBJECTS = 25_000
PDF_MAX_TREE_DEPTH = 32
# pypdf is pure Python: whatever the file, checking it stops after this much CPU time.
PDF_CPU_SECONDS = 0.5
# pypdf's own limits, tightened for a check that decompresses only cross-reference and
# object streams (a few kilobytes in real files), never page content.
_PDF_DECODED_BYTES = 256 * 1024
PDF_LIMITS = Configuration(
    array_maximum_element_count=MAX_PDF_OBJECTS,
    dictionary_maximum_element_count=10_000,
    zlib_maximum_output_length=_PDF_DECODED_BYTES,
    lzw_maximum_output_length=_PDF_DECODED_BYTES,
    run_length_maximum_output_length=_PDF_DECODED_BYTES,
    brotli_maximum_output_length=_PDF_DECODED_BYTES,
    jbig2_maximum_output_length=_PDF_DECODED_BYTES,
    array_based_stream_maximum_output_length=_PDF_DECODED_BYTES,
    stream_decoding_work_maximum_length=4 * _PDF_DECODED_BYTES,
    page_tree_maximum_depth=PDF_MAX_TREE_DEPTH,
    jbig2dec_binary=None,
)
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


# What Pillow raises on a file it cannot read. (Its DecompressionBombError, raised when a
# header claims hundreds of millions of pixels, is handled apart: that is "too many pixels".)
_UNREADABLE_IMAGE = (UnidentifiedImageError, OSError, SyntaxError, ValueError)


def _pixel_budget(image_format: str | None) -> int:
    return MAX_JPEG_PIXELS if image_format == "JPEG" else MAX_IMAGE_PIXELS


def _too_many_pixels_message(image_format: str | None) -> str:
    jpeg, other = MAX_JPEG_PIXELS // 1_000_000, MAX_IMAGE_PIXELS // 1_000_000
    if image_format == "JPEG":
        limit = f"at most {jpeg} megapixels for a JPEG photo"
    else:
        limit = f"at most {other} megapixels for a PNG, GIF or WebP image ({jpeg} for a JPEG)"
    return f"The image has too many pixels: {limit}. Send a smaller copy."


def _too_many_pixels(field: str, image_format: str | None) -> InvalidInput:
    return InvalidInput(
        _too_many_pixels_message(image_format),
        field_errors={field: [f"At most {_pixel_budget(image_format) // 1_000_000} megapixels."]},
    )


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
            if probe.width * probe.height > _pixel_budget(probe.format):
                raise _too_many_pixels(field, probe.format)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size straight away: no need
            # to decode every pixel of a photo that is about to be shrunk.
            image.draft("RGB", (max_side, max_side))
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "P")
            target = "RGBA" if has_alpha else "RGB"
            # Shrink first when the mode allows it (fewer pixels to convert), then convert.
            clean: Image.Image = image
            if clean.mode not in ("RGB", "RGBA", "L", "LA"):
                clean = clean.convert(target)
            clean.thumbnail((max_side, max_side), resample=Image.Resampling.BICUBIC)
            clean = clean.convert(target)
            out = io.BytesIO()
            if has_alpha:
                clean.save(out, format="PNG", optimize=True)
                extension = "png"
            else:
                clean.save(out, format="JPEG", quality=88, optimize=True)
                extension = "jpg"
    except Image.DecompressionBombError:
        raise _too_many_pixels(field, None) from None
    except _UNREADABLE_IMAGE:
        raise not_an_image from None
    stem = PurePath(upload.name or "image").stem[:60] or "image"
    return ContentFile(out.getvalue(), name=f"{stem}.{extension}")


class _PdfTooComplex(Exception):
    pass


class _BudgetedStream(io.BytesIO):
    """The upload as pypdf reads it, on a budget of CPU time: every step of pypdf's parser
    reads from its stream, so once the budget is spent every read fails and the parser
    cannot go on, whatever it catches. (Measured on this thread only: a busy machine does
    not make a file look more complex.)"""

    def __init__(self, data: bytes, seconds: float) -> None:
        super().__init__(data)
        self._deadline = time.thread_time() + seconds
        self._reads = 0
        self.exhausted = False

    def read(self, size: int | None = -1, /) -> bytes:
        self._reads += 1
        if self.exhausted or (self._reads % 64 == 0 and time.thread_time() > self._deadline):
            self.exhausted = True
            raise _PdfTooComplex
        return super().read(size)


def pdf_page_count(data: bytes) -> int:
    """The number of pages of a PDF that pypdf can open, or an InvalidInput saying why not.

    What is read is the document's structure: its cross-reference table, trailer, catalog
    and page tree down to the first page, never the pages' content. pypdf's lenient mode
    is used on purpose: it still refuses what is not a PDF, but accepts the small defects
    real-world PDF writers leave (an offset a few bytes off, bytes after %%EOF) that strict
    mode rejects. pypdf is pure Python, so its work is bounded (PDF_CPU_SECONDS, and its
    own limits, tightened in PDF_LIMITS): a hostile 10 MB file could otherwise keep a
    worker busy for seconds."""
    not_a_pdf = InvalidInput("That file is not a PDF we can read.")
    too_complex = InvalidInput(
        f"That PDF has too many parts for us to check (more than {MAX_PDF_OBJECTS:,} "
        "objects). Send a smaller or simplified copy."
    )
    # Without %%EOF near its end pypdf would search the whole file for it, line by line.
    if not data.startswith(PDF_MAGIC) or PDF_END not in data[-PDF_TAIL_BYTES:]:
        raise not_a_pdf
    # Counted at C speed: most over-large files are refused before any parsing.
    if data.count(b"endobj") > MAX_PDF_OBJECTS:
        raise too_complex
    stream = _BudgetedStream(data, PDF_CPU_SECONDS)
    try:
        with apply_configuration(PDF_LIMITS):
            reader = PdfReader(
                stream,
                strict=False,
                root_object_recovery_limit=1_000,
                xref_stream_maximum_entries=MAX_PDF_OBJECTS,
            )
            # A PDF with only an owner password ("no printing") opens with the empty user
            # password; one that needs a password to open cannot be checked, nor read by
            # the person it is sent to.
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise InvalidInput(
                    "Password-protected PDFs are not accepted: remove the password and send "
                    "it again."
                )
            pages = _declared_pages(reader)
    except InvalidInput:
        raise
    # pypdf reports a malformed file with its own errors, but a hostile one can reach
    # others (KeyError, TypeError, RecursionError, ...) deep in the parser: whatever it
    # raises, the upload is not a PDF we can read, never a server error.
    except Exception:
        raise (too_complex if stream.exhausted else not_a_pdf) from None
    if stream.exhausted:
        raise too_complex
    if pages is None:
        raise not_a_pdf
    return pages


def _declared_pages(reader: PdfReader) -> int | None:
    """The page count the page tree declares, once its first page is found where the tree
    says; None when the tree is not one. (pypdf's own `len(reader.pages)` visits every
    page, which costs time in proportion to what the file claims.)"""
    node = reader.root_object.get("/Pages")
    node = node.get_object() if node is not None else None
    if not isinstance(node, DictionaryObject):
        return None
    count = node.get("/Count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return None
    for _ in range(PDF_MAX_TREE_DEPTH):
        if node.get("/Type") == "/Page":
            return int(count)
        kids = node.get("/Kids")
        kids = kids.get_object() if kids is not None else None
        if not isinstance(kids, ArrayObject) or not kids:
            return None
        node = kids[0].get_object()
        if not isinstance(node, DictionaryObject):
            return None
    return None


def document_kind(upload: UploadedFile) -> str:
    """'pdf' or 'image' by content, or an InvalidInput naming the problem."""
    data = _read(upload)
    if data.startswith(PDF_MAGIC):
        pdf_page_count(data)
        return "pdf"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format in ALLOWED_IMAGE_FORMATS:
                if probe.width * probe.height > _pixel_budget(probe.format):
                    raise InvalidInput(_too_many_pixels_message(probe.format))
                probe.verify()
                return "image"
    except Image.DecompressionBombError:
        raise InvalidInput(_too_many_pixels_message(None)) from None
    except _UNREADABLE_IMAGE:
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
