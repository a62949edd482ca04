"""One page of search results, the same shape for every search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models

from openlance.core.errors import InvalidInput

MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


@dataclass(frozen=True)
class SearchPage(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def check_paging(page: int, page_size: int) -> None:
    errors = {}
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = [f"Pages are numbered from 1 to {MAX_PAGE:,}."]
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        errors["page_size"] = [f"A page holds 1 to {MAX_PAGE_SIZE} results."]
    if errors:
        raise InvalidInput("The page requested is invalid.", field_errors=errors)


def paginate(
    queryset: models.QuerySet[M], *, page: int, page_size: int, hit: Callable[[M], T]
) -> SearchPage[T]:
    """Count, then fetch one ordered slice and turn each row into a hit. A page past the
    end is empty rather than an error, so a link that outlived a result is harmless."""
    check_paging(page, page_size)
    total = queryset.count()
    start = (page - 1) * page_size
    rows = list(queryset[start : start + page_size]) if start < total else []
    return SearchPage(items=[hit(row) for row in rows], total=total, page=page, page_size=page_size)


def paginate_by_key(
    queryset: models.QuerySet[M],
    *,
    page: int,
    page_size: int,
    fetch: Callable[[models.QuerySet[M, dict[str, Any]]], models.QuerySet[M]],
    hit: Callable[[M], T],
    total: int | None = None,
) -> SearchPage[T]:
    """`paginate` for rankings the database can compute from a narrow index: the ordered
    query picks only the page's primary keys, inside the statement `fetch(keys)` builds to
    load those few full rows (filter on `pk__in=keys`, annotate, order) — so the sort never
    carries wide rows, and it is still one query for the page. A caller that has counted
    the results already passes `total`."""
    check_paging(page, page_size)
    if total is None:
        total = queryset.count()
    start = (page - 1) * page_size
    if start >= total:
        return SearchPage(items=[], total=total, page=page, page_size=page_size)
    keys = queryset.values("pk")[start : start + page_size]
    rows = list(fetch(keys))
    return SearchPage(items=[hit(row) for row in rows], total=total, page=page, page_size=page_size)
