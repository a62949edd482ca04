"""Query expressions Django does not offer on both databases."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler


class JsonArrayContains(models.Func):
    """True when the JSON list in `expression` holds `value` (Django's `contains` lookup on
    JSONField is not supported on SQLite). Usable directly in `.filter()`."""

    output_field = models.BooleanField()
    arity = 1

    def __init__(self, expression: str | models.Expression, value: str) -> None:
        super().__init__(expression)
        self.value = value

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        # The cheap substring test (the value as a JSON string, quotes included) rules out
        # most rows before the exact json_each test runs; it never rules out a match.
        exact = f"EXISTS (SELECT 1 FROM json_each({sql}) WHERE json_each.value = %s)"  # noqa: S608
        return f"(instr({sql}, %s) > 0 AND {exact})", [
            *params,
            json.dumps(self.value),
            *params,
            self.value,
        ]

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} @> %s::jsonb)", [*params, json.dumps([self.value])]
