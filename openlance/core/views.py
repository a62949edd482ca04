"""What every page view shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404

from openlance.core.errors import NotFound

T = TypeVar("T")


def or_404(lookup: Callable[..., T], **kwargs: Any) -> T:
    """A scoped selector's object, or the page's 404 when the user may not see it."""
    try:
        return lookup(**kwargs)
    except NotFound as missing:
        raise Http404(missing.detail) from None
