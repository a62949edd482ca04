"""Per-user rate limits on the writes that reach other people (SPEC §1): a page or an API
client sending too fast is told to wait (429) before anything is written. Counted per user
in the cache (django-ratelimit), so every process shares the counts and the pages and the
API count alike."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from openlance.core.errors import DomainError


@dataclass(frozen=True)
class Limit:
    group: str
    rate: str
    message: str


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"
    code = "rate_limited"


def rate_exceeded(request: HttpRequest, limit: Limit) -> bool:
    """Count this request against the user's limit; True once it is over."""
    return is_ratelimited(
        request, group=limit.group, key="user", rate=limit.rate, method="POST", increment=True
    )


def rate_check(request: HttpRequest, limit: Limit) -> None:
    if rate_exceeded(request, limit):
        raise RateLimited(limit.message)
