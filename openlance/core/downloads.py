"""Serving a stored upload (an attachment, a submitted file, a receipt) to someone the caller
has already scoped it to (a selector that 404s for anyone else): this only sends the bytes
safely."""

from __future__ import annotations

from django.core.exceptions import SuspiciousFileOperation
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def stored_download(file: FieldFile, *, name: str, content_type: str) -> FileResponse:
    try:
        handle = file.open("rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        raise Http404("No such file.") from None
    # Always a download, never rendered on our domain: a PDF's bytes are kept as sent, and
    # the sandbox stops anything that does get rendered from running as us.
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
