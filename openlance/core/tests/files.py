"""Small uploads for tests, made in memory."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_upload(
    name: str = "photo.png", size: tuple[int, int] = (64, 48), color: str = "teal"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_upload(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", content_type="application/pdf"
    )


def fake_image_upload(name: str = "photo.png") -> SimpleUploadedFile:
    """Claims to be a PNG by name and type; is a shell script."""
    return SimpleUploadedFile(name, b"#!/bin/sh\necho pwned\n", content_type="image/png")
