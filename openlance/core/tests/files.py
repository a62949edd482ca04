"""Small uploads for tests, made in memory."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def png_upload(
    name: str = "photo.png", size: tuple[int, int] = (64, 48), color: str = "teal"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_bytes(pages: int = 1) -> bytes:
    """A real (if blank) PDF, as uploads must be: a file that only starts with "%PDF-" is
    refused. About 400 bytes for one page."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with a few bytes of image data:
    what an upload that would cost seconds (or gigabytes) to decode looks like before
    decoding."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def fake_image_upload(name: str = "photo.png") -> SimpleUploadedFile:
    """Claims to be a PNG by name and type; is a shell script."""
    return SimpleUploadedFile(name, b"#!/bin/sh\necho pwned\n", content_type="image/png")
