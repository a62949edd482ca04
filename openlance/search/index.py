"""Full-text indexes on SQLite (FTS5) and PostgreSQL (tsvector), behind one interface.

Each index is one table keyed by the indexed object's id, with three weighted fields
(title, skills, body), created by this app's migration. Writers call `index_upsert` /
`index_delete` inside their own transaction, so the index commits or rolls back with the
row it describes. Readers call `text_match` to restrict an ORM queryset to the rows whose
document holds every query term and annotate their relevance, in the same SQL query.
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
from openlance.search.text import ParsedQuery, tokens

PROFILES = "profile"
JOBS = "job"
_TABLES = {PROFILES: "search_index_profile", JOBS: "search_index_job"}

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


def _table(index_name: str) -> str:
    try:
        return _TABLES[index_name]
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
    """Write (or rewrite) documents in the caller's transaction, in batches."""
    table = connection.ops.quote_name(_table(index_name))
    pending = iter(documents)
    with connection.cursor() as cursor:
        while batch := list(islice(pending, 1000)):
            ids = [(document.object_id,) for document in batch]
            if connection.vendor == "sqlite":
                cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", ids)  # noqa: S608
                cursor.executemany(
                    f"INSERT INTO {table} (rowid, title, skills, body) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s)",
                    _sqlite_rows(batch),
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {table} (object_id, document) "  # noqa: S608
                    "VALUES (%s, %s::tsvector) "
                    "ON CONFLICT (object_id) DO UPDATE SET document = EXCLUDED.document",
                    [(doc.object_id, _tsvector_literal(doc.fields())) for doc in batch],
                )


def index_upsert(
    index_name: str, object_id: int, *, title: str, skills: Sequence[str], body: str
) -> None:
    index_upsert_many(
        index_name, [IndexDocument(object_id=object_id, title=title, skills=skills, body=body)]
    )


def index_delete(index_name: str, object_id: int) -> None:
    table = connection.ops.quote_name(_table(index_name))
    key = "rowid" if connection.vendor == "sqlite" else "object_id"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {key} = %s", [object_id])  # noqa: S608


def text_match(
    queryset: models.QuerySet[M],
    *,
    index_name: str,
    query: ParsedQuery,
    weights: FieldWeights,
) -> models.QuerySet[M]:
    """Keep the rows of `queryset` whose indexed document contains every query term, and
    annotate `relevance`, a float in (0, 1) that grows with weighted matches.

    The index table is joined into the caller's query (one SQL statement, any filters and
    ordering the caller adds apply in the database). Relevance is the engine's own ranker
    (FTS5 bm25, PostgreSQL ts_rank) with the field weights, mapped by r / (1 + r) on both
    so the scales are alike; the matches are identical, the numbers are not."""
    if not query:
        raise ValueError("text_match needs at least one term; skip it for an empty query")
    table = connection.ops.quote_name(_table(index_name))
    meta = queryset.model._meta
    quote = connection.ops.quote_name
    object_id = f"{quote(meta.db_table)}.{quote(meta.pk.column)}"
    title, skills, body = weights.scaled()
    if connection.vendor == "sqlite":
        # Every term is a quoted FTS5 string, so no user text is ever read as FTS5 syntax.
        match = " AND ".join('"{}"'.format(term.replace('"', '""')) for term in query.terms)
        joined = queryset.extra(  # noqa: S610 (identifiers from model meta; text is a parameter)
            tables=[_table(index_name)],
            where=[f"{table}.rowid = {object_id}", f"{table} MATCH %s"],
            params=[match],
        )
        bm25 = f"bm25({table}, %s, %s, %s)"
        relevance = RawSQL(  # noqa: S611 (see above)
            f"(-{bm25}) / (1.0 - {bm25})",
            (title, skills, body, title, skills, body),
            output_field=models.FloatField(),
        )
    else:
        tsquery = " & ".join(
            "'{}'".format(term.replace("\\", "\\\\").replace("'", "''")) for term in query.terms
        )
        joined = queryset.extra(  # noqa: S610 (identifiers from model meta; text is a parameter)
            tables=[_table(index_name)],
            where=[f"{table}.object_id = {object_id}", f"{table}.document @@ %s::tsquery"],
            params=[tsquery],
        )
        # Weights array order is {D, C, B, A}; normalization 32 is rank / (rank + 1).
        relevance = RawSQL(  # noqa: S611 (see above)
            f"ts_rank(%s::float4[], {table}.document, %s::tsquery, 32)",
            ([0.0, body, skills, title], tsquery),
            output_field=models.FloatField(),
        )
    return joined.annotate(relevance=relevance)
