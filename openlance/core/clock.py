"""The one source of "now" for domain code, so tests and time-driven rules can move it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    if _override is not None:
        return _override()
    return timezone.now()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Pin now() to a fixed aware datetime inside the block (tests and replays)."""
    global _override
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    previous = _override
    _override = lambda: moment  # noqa: E731
    try:
        yield
    finally:
        _override = previous
