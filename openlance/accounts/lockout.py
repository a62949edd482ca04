from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username_from_credentials(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """allauth authenticates by `email`; the form posts `login`. Axes keys lockouts on it."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("login") or credentials.get("username")
    if value is None and request is not None and request.method == "POST":
        value = request.POST.get("login")
    return str(value or "").strip().lower()
