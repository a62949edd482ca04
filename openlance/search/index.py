"""Full-text indexes on SQLite (FTS5) and PostgreSQL (tsvector), behind one interface.

Each index holds one document per indexed object, with three weighted fields (title,
skills, body). On SQLite it is an FTS5 table whose rowid is the object's id. On PostgreSQL
the document is a `search_document` tsvector column (GIN-indexed) on the indexed model's own
table, so a text search reads the matching rows once, with their filter columns, instead of
joining a separate index table row by row. Both are created by this app's migrations, and
neither is a model field: the ORM never reads or writes them except through this module.
Writers call `index_upsert` / `index_delete` inside their own transaction, so the index
commits or rolls back with the row it describes. Readers call `text_match` to restrict an
ORM queryset to the rows whose document holds every query term and annotate their
relevance, in the same SQL query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from django.db import connection, models
from django.db.models.expressions import RawSQL

from openlance.core.policies import RankingPolicy
from openlance.core.prepared import Slot
from openlance.search.text import ParsedQuery, tokens

PROFILES = "profile"
JOBS = "job"


@dataclass(frozen=True)
class _Index:
    fts5_table: str  # SQLite: the FTS5 table, rowid = object id
    row_table: str  # PostgreSQL: the indexed model's table, holding `search_document`


_INDEXES = {
    PROFILES: _Index(fts5_table="search_index_profile", row_table="profiles_profile"),
    JOBS: _Index(fts5_table="search_index_job", row_table="jobs_jobpost"),
}
DOCUMENT_COLUMN = "search_document"

# tsvector limits: positions above 16383 are not representable and a lexeme keeps at most
# 256 positions; later occurrences add nothing to ranking anyway.
_MAX_POSITION = 16_383
_MAX_POSITIONS_PER_LEXEME = 256
_FIELD_WEIGHT_LABELS = ("A", "B", "C")  # title, skills, body

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class FieldWeights:
    """How much a match in each field counts. Only ratios matter: both engines get the
    weights scaled so the largest is 1 (PostgreSQL rejects ts_rank weights above 1)."""

    title: float
    skills: float
    body: float

    @classmethod
    def of(cls, policy: RankingPolicy) -> FieldWeights:
        return cls(
            title=float(policy.title_weight),
            skills=float(policy.skills_weight),
            body=float(policy.overview_weight),
        )

    def scaled(self) -> tuple[float, float, float]:
        top = max(self.title, self.skills, self.body)
        return (self.title / top, self.skills / top, self.body / top)


@dataclass(frozen=True)
class IndexDocument:
    object_id: int
    title: str
    skills: Sequence[str]
    body: str

    def fields(self) -> tuple[list[str], list[str], list[str]]:
        skill_tokens = [token for name in self.skills for token in tokens(name)]
        return tokens(self.title), skill_tokens, tokens(self.body)


def _index(index_name: str) -> _Index:
    try:
        return _INDEXES[index_name]
    except KeyError:
        raise ValueError(f"There is no search index {index_name!r}.") from None


def _tsvector_literal(fields: tuple[list[str], list[str], list[str]]) -> str:
    """The document as tsvector input text ('tok':1A,7C ...): PostgreSQL stores our tokens
    verbatim instead of running its own parser and stemmer over them."""
    positions: dict[str, list[str]] = defaultdict(list)
    position = 0
    for label, field_tokens in zip(_FIELD_WEIGHT_LABELS, fields, strict=True):
        for token in field_tokens:
            position = min(position + 1, _MAX_POSITION)
            if len(positions[token]) < _MAX_POSITIONS_PER_LEXEME:
                positions[token].append(f"{position}{label}")
    return " ".join(
        "'{}':{}".format(token.replace("\\", "\\\\").replace("'", "''"), ",".join(where))
        for token, where in positions.items()
    )


def _sqlite_rows(documents: Iterable[IndexDocument]) -> list[tuple[int, str, str, str]]:
    rows = []
    for document in documents:
        title, skills, body = document.fields()
        rows.append((document.object_id, " ".join(title), " ".join(skills), " ".join(body)))
    return rows


def index_upsert_many(index_name: str, documents: Iterable[IndexDocument]) -> None:
    """Write (or rewrite) documents in the caller's transaction, in batches. On PostgreSQL
    the indexed rows must exist already (a document is a column of its row)."""
    index = _index(index_name)
    quote = connection.ops.quote_name
    pending = iter(documents)
    with connection.cursor() as cursor:
        while batch := list(islice(pending, 1000)):
            if connection.vendor == "sqlite":
                table = quote(index.fts5_table)
                ids = [(document.object_id,) for document in batch]
                cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", ids)  # noqa: S608
                cursor.executemany(
                    f"INSERT INTO {table} (rowid, title, skills, body) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s)",
                    _sqlite_rows(batch),
                )
            else:
                # One statement a batch: the documents arrive as two parallel arrays.
                cursor.execute(
                    f"UPDATE {quote(index.row_table)} AS indexed "  # noqa: S608
                    f"SET {DOCUMENT_COLUMN} = batch.document::tsvector "
                    "FROM unnest(%s::bigint[], %s::text[]) AS batch (object_id, document) "
                    "WHERE indexed.id = batch.object_id",
                    [
                        [document.object_id for document in batch],
                        [_tsvector_literal(document.fields()) for document in batch],
                    ],
                )


def index_upsert(
    index_name: str, object_id: int, *, title: str, skills: Sequence[str], body: str
) -> None:
    index_upsert_many(
        index_name, [IndexDocument(object_id=object_id, title=title, skills=skills, body=body)]
    )


def index_delete(index_name: str, object_id: int) -> None:
    index = _index(index_name)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"DELETE FROM {quote(index.fts5_table)} WHERE rowid = %s",  # noqa: S608
                [object_id],
            )
        else:
            cursor.execute(
                f"UPDATE {quote(index.row_table)} SET {DOCUMENT_COLUMN} = NULL "  # noqa: S608
                "WHERE id = %s",
                [object_id],
            )


def match_expression(query: ParsedQuery) -> str:
    """The query in the engine's own syntax, every term a quoted string so that no user
    text is ever read as syntax: FTS5 strings ANDed on SQLite, a tsquery on PostgreSQL."""
    if connection.vendor == "sqlite":
        return " AND ".join('"{}"'.format(term.replace('"', '""')) for term in query.terms)
    return " & ".join(
        "'{}'".format(term.replace("\\", "\\\\").replace("'", "''")) for term in query.terms
    )


def text_match(
    queryset: models.QuerySet[M],
    *,
    index_name: str,
    query: ParsedQuery,
    weights: FieldWeights,
    slot: str | None = None,
) -> models.QuerySet[M]:
    """Keep the rows of `queryset` whose indexed document contains every query term, and
    annotate `relevance`, a float in (0, 1) that grows with weighted matches.

    The match is part of the caller's query (one SQL statement, any filters and ordering
    the caller adds apply in the database): FTS5's table is joined on SQLite, the row's own
    document column is read on PostgreSQL, so there `queryset` must be of the indexed model.
    Relevance is the engine's own ranker (FTS5 bm25, PostgreSQL ts_rank) with the field
    weights, mapped by r / (1 + r) on both so the scales are alike; the matches are
    identical, the numbers are not.

    With `slot`, the query's text is left as that slot (`core.prepared`), to be given as
    `match_expression(query)` when the SQL runs: the SQL is then the same for every text."""
    if not query:
        raise ValueError("text_match needs at least one term; skip it for an empty query")
    index = _index(index_name)
    meta = queryset.model._meta
    quote = connection.ops.quote_name
    title, skills, body = weights.scaled()
    match = Slot(slot, models.TextField()) if slot else match_expression(query)
    if connection.vendor == "sqlite":
        table = quote(index.fts5_table)
        object_id = f"{quote(meta.db_table)}.{quote(meta.pk.column)}"
        # The unary + keeps the join from being an FTS5 rowid lookup, so the planner cannot
        # walk the indexed table's rows and run the MATCH once per row (what it chose on a
        # database without ANALYZE statistics: 13 ms for 457 posts, where driving from
        # the MATCH and reading the matches by key takes 0.2 ms).
        joined = queryset.extra(  # noqa: S610 (identifiers from model meta; text is a parameter)
            tables=[index.fts5_table],
            where=[f"+{table}.rowid = {object_id}", f"{table} MATCH %s"],
            params=[match],
        )
        # bm25 is negative, better matches lower; r / (1 + r) of r = -bm25, written so that
        # bm25, the costly part of a search, runs once a row.
        relevance = RawSQL(  # noqa: S611 (see above)
            f"1.0 - 1.0 / (1.0 - bm25({table}, %s, %s, %s))",
            (title, skills, body),
            output_field=models.FloatField(),
        )
    else:
        if meta.db_table != index.row_table:
            raise ValueError(f"The {index_name} index is on {index.row_table}, not {meta.db_table}")
        document = f"{quote(meta.db_table)}.{DOCUMENT_COLUMN}"
        joined = queryset.extra(  # noqa: S610 (identifiers from model meta; text is a parameter)
            where=[f"{document} @@ %s::tsquery"], params=[match]
        )
        # Weights array order is {D, C, B, A}; normalization 32 is rank / (rank + 1).
        relevance = RawSQL(  # noqa: S611 (see above)
            f"ts_rank(%s::float4[], {document}, %s::tsquery, 32)",
            ([0.0, body, skills, title], match),
            output_field=models.FloatField(),
        )
    return joined.annotate(relevance=relevance)
