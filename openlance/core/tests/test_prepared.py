"""Reads compiled once: the same rows as the queryset they were built from, with any values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, models

from openlance.core.models import Policy
from openlance.core.prepared import PreparedRead, Slot, SlotKeys, StatementCache

pytestmark = pytest.mark.django_db


class Statements:
    """The SQL sent to the database, as written (placeholders, not values)."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.sql.append(sql)
        return execute(sql, params, many, context)


def test_a_read_is_built_once_and_runs_the_same_sql_with_each_value():
    builds = []

    def build() -> models.QuerySet[Policy, tuple[object, ...]]:
        builds.append(1)
        return Policy.objects.filter(kind=Slot("kind", models.CharField())).values_list(
            "kind", "label", "effective_from"
        )

    read = PreparedRead(build)
    statements = Statements()
    for kind in ("fees", "jss", "ranking", "no such kind"):
        expected = list(
            Policy.objects.filter(kind=kind).values_list("kind", "label", "effective_from")
        )
        with connection.execute_wrapper(statements):
            assert read.rows(kind=kind) == expected
    assert len(builds) == 1
    assert len(statements.sql) == 4
    assert len(set(statements.sql)) == 1


def test_datetimes_are_bound_and_read_as_the_orm_does():
    """On SQLite a datetime is stored as text: the slot writes it as the ORM would, and the
    rows come back aware, through the ORM's own conversions."""
    read = PreparedRead(
        lambda: (
            Policy.objects.filter(effective_from__lte=Slot("when", models.DateTimeField()))
            .order_by("kind", "-effective_from")
            .values_list("kind", "effective_from")
        )
    )
    for when in (
        datetime(2016, 6, 6, tzinfo=UTC),
        datetime(2016, 6, 7, tzinfo=UTC),
        datetime(2019, 5, 1, tzinfo=UTC),
        datetime(2030, 1, 1, tzinfo=UTC),
    ):
        rows = read.rows(when=when)
        expected = list(
            Policy.objects.filter(effective_from__lte=when)
            .order_by("kind", "-effective_from")
            .values_list("kind", "effective_from")
        )
        assert rows == expected
        assert all(effective.tzinfo is not None for _, effective in rows)


def test_a_list_of_keys_is_one_parameter_whatever_its_length():
    policies = list(Policy.objects.order_by("pk"))  # the presets, from the migrations
    assert len(policies) == 8
    read = PreparedRead(
        lambda: Policy.objects.filter(pk__in=SlotKeys("keys")).order_by("pk").values_list("label")
    )
    chosen = [
        [],
        [policies[3].pk],
        [p.pk for p in policies[::2]],
        [policies[1].pk] * 3 + [0],
        [p.pk for p in policies],
    ]
    statements = Statements()
    for keys in chosen:
        expected = list(Policy.objects.filter(pk__in=keys).order_by("pk").values_list("label"))
        with connection.execute_wrapper(statements):
            assert read.rows(keys=keys) == expected
    assert len(statements.sql) == len(chosen)
    assert len(set(statements.sql)) == 1


def test_the_statement_cache_compiles_a_shape_once_and_keeps_the_last_used():
    compiled = []

    def compile_for(shape: str):
        def compile_sql() -> tuple[str, list[object]]:
            compiled.append(shape)
            return f"SELECT {shape!r}", []

        return compile_sql

    cache = StatementCache(size=2)
    for shape in ("a", "b", "a", "c", "a", "b"):
        assert cache.get(shape, compile_for(shape)) == (f"SELECT {shape!r}", ())
    # "b" was dropped when "c" came ("a" had just been used), and compiled again.
    assert compiled == ["a", "b", "c", "b"]
