"""One page of search results, the same shape for every search."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection, models

from openlance.core.errors import InvalidInput
from openlance.core.prepared import Slot, StatementCache, bind

MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100
# Counting stops here, as in the large search engines: a search that finds more says
# "10,000+" and pages through its first 10,000 results. Counting 100,000 matches exactly
# costs more than the rest of the search and tells a person nothing "10,000+" does not.
COUNT_LIMIT = 10_000

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")
R = TypeVar("R")
L = TypeVar("L")


@dataclass(frozen=True)
class SearchPage(Generic[T]):
    items: list[T]
    total: int  # at most COUNT_LIMIT
    page: int
    page_size: int
    total_exact: bool = True  # False: more than `total` results ("10,000+")

    @property
    def total_label(self) -> str:
        return f"{self.total:,}" if self.total_exact else f"{self.total:,}+"

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


# The page's LIMIT and OFFSET, and the cap of a count, as slots of a ranking statement:
# one statement serves every page, and the cap is read when the search runs.
_PAGE_LIMIT = Slot("page_limit", models.IntegerField())
_PAGE_OFFSET = Slot("page_offset", models.IntegerField())
_COUNT_CAP = Slot("count_cap", models.IntegerField())

# The ranking statements of the searches run last, by shape (see `Prepared`).
_RANKINGS = StatementCache(size=256)


@dataclass(frozen=True)
class Prepared:
    """A ranking whose SQL is compiled once per `shape`: the ranking's queryset holds slots
    (`core.prepared`) for `values`, the part that differs between searches of one shape
    (their text, a time), and `shape` names all the rest the SQL depends on (filters,
    policy, viewer kind)."""

    shape: Hashable
    values: Mapping[str, object]


def _order_sql(order: list[str]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(
        f"{quote(key.lstrip('-'))} {'DESC' if key.startswith('-') else 'ASC'}" for key in order
    )


def _ranking_sql(
    ranked: models.QuerySet[M], *, columns: list[str], derived: dict[str, str], order: list[str]
) -> tuple[str, list[Any]]:
    """The page's rows of `ranked`, each with `search_total`, the number of matches.

    The matches are first reduced to the narrow `columns` in a materialized CTE, so the
    window count and the sort carry those few values, never the rows' documents (on
    PostgreSQL a window over the full rows spills them to disk; SQLite cannot run bm25 under
    a window function at all), and the `derived` columns are computed from them afterwards,
    so an expensive ranker named in both is run once a row."""
    stored = [column for column in columns if column not in derived]
    sql, params = ranked.order_by().values(*stored).query.sql_with_params()
    quote = connection.ops.quote_name
    computed = "".join(f", {expression} AS {quote(name)}" for name, expression in derived.items())
    return (
        f"WITH matches AS MATERIALIZED ({sql}) "  # noqa: S608 (compiled by the ORM)
        f"SELECT * FROM (SELECT *{computed}, COUNT(*) OVER () AS search_total "
        f"FROM matches) AS ranked ORDER BY {_order_sql(order)} LIMIT %s OFFSET %s",
        [*params, _PAGE_LIMIT, _PAGE_OFFSET],
    )


def _walk_sql(
    ranked: models.QuerySet[M], *, columns: list[str], order: list[str]
) -> tuple[str, list[Any]]:
    """The page's rows of `ranked` in `order`, each with `search_total`, the number of
    results counted up to the cap, in one statement that always answers at least one row
    (a page past the end: one row of NULLs but the count).

    For a ranking without an expensive match: the page is its own query, which the database
    answers by walking an index in `order` and stopping after the page where one serves
    (sorting only the matches where none does), and the count a query of its own, which
    stops after the cap and reads an index rather than the rows where it can; neither
    carries the other's work."""
    page_sql, page_params = ranked.order_by(*order).values(*columns).query.sql_with_params()
    count_sql, count_params = ranked.order_by().values("pk").query.sql_with_params()
    return (
        f"WITH page AS MATERIALIZED ({page_sql} LIMIT %s OFFSET %s) "  # noqa: S608 (the ORM's)
        "SELECT page.*, counted.search_total FROM "
        f"(SELECT COUNT(*) AS search_total FROM ({count_sql} LIMIT %s) AS capped) AS counted "
        f"LEFT JOIN page ON 1 = 1 ORDER BY {_order_sql(order)}",
        [*page_params, _PAGE_LIMIT, _PAGE_OFFSET, *count_params, _COUNT_CAP],
    )


def _ranked_rows(
    sql: str, params: Sequence[object], values: Mapping[str, object], *, start: int, stop: int
) -> list[dict[str, Any]]:
    page = {"page_limit": max(stop - start, 0), "page_offset": start, "count_cap": COUNT_LIMIT + 1}
    with connection.cursor() as cursor:
        cursor.execute(sql, bind(params, {**values, **page}, connection))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def paginate_ranked(
    ranked: Callable[[], models.QuerySet[M]],
    *,
    page: int,
    page_size: int,
    fields: list[str],
    order: list[str],
    count_with_ranking: bool,
    prepared: Prepared,
    derived: dict[str, str] | None = None,
) -> SearchPage[dict[str, Any]]:
    """One page of a ranking, ordered by `order` (field or annotation names, "-" for
    descending, "pk" last as the tie breaker). `ranked()` builds the ranking's queryset,
    with slots for `prepared.values`; it is built and compiled once for `prepared.shape`,
    then only run. The page's items are the ranking's rows: "pk" and the annotations named
    in `fields`, never the rows whole, so the sort carries only those (`load_page` reads the
    page's rows afterwards, in whatever form the caller needs). `derived` tells, for
    annotations of `ranked` that are arithmetic over other fields, the same arithmetic as
    SQL over those fields' quoted names, so that the ranking query computes it once.

    With `count_with_ranking`, the ranking counts its results as it ranks them (an expensive
    match, such as full text, runs once; a page past the end runs the statement again, for
    its first row's count); otherwise the page and a count of its own, capped, are one
    statement (`_walk_sql`, for a search without text). Either way the page says "10,000+"
    past COUNT_LIMIT, and pages past it are empty.
    """
    check_paging(page, page_size)
    start = (page - 1) * page_size
    stop = min(start + page_size, COUNT_LIMIT)
    columns = list(dict.fromkeys(["pk", *fields, *(key.lstrip("-") for key in order)]))

    def compile_sql() -> tuple[str, list[Any]]:
        if count_with_ranking:
            return _ranking_sql(ranked(), columns=columns, derived=derived or {}, order=order)
        return _walk_sql(ranked(), columns=columns, order=order)

    shape = (
        connection.vendor,
        count_with_ranking,
        prepared.shape,
        *columns,
        *order,
        *(derived or {}).items(),
    )
    sql, params = _RANKINGS.get(shape, compile_sql)
    rows = []
    if start < stop or not count_with_ranking:
        rows = _ranked_rows(sql, params, prepared.values, start=start, stop=stop)
    if count_with_ranking and not rows and start > 0:
        # No row on a later page: a page past the end (an empty page, not an error, so a
        # link that outlived a result is harmless); the first row then counts.
        counted = _ranked_rows(sql, params, prepared.values, start=0, stop=1)
    else:
        counted = rows
    found = counted[0]["search_total"] if counted else 0
    kept = ["pk", *fields]
    return SearchPage(
        items=[{name: row[name] for name in kept} for row in rows if row["pk"] is not None],
        total=min(found, COUNT_LIMIT),
        page=page,
        page_size=page_size,
        total_exact=found <= COUNT_LIMIT,
    )


def load_page(
    ranked: SearchPage[R],
    *,
    key: Callable[[R], int],
    load: Callable[[list[int]], Mapping[int, L]],
    hit: Callable[[L, R], T],
) -> SearchPage[T]:
    """The page of a ranking with its rows read: `load(keys)` reads the page's few rows by
    key, in one or two queries, as models or as plain data; `hit(loaded, ranked_row)` makes
    each result, in the ranking's order. A row deleted between the ranking and the load
    drops out of the page."""
    keys = [key(row) for row in ranked.items]
    by_key = load(keys) if keys else {}
    return SearchPage(
        items=[hit(by_key[key(row)], row) for row in ranked.items if key(row) in by_key],
        total=ranked.total,
        page=ranked.page,
        page_size=ranked.page_size,
        total_exact=ranked.total_exact,
    )
