"""reputation 0002 on the two kinds of database that reach it: one migrated by the 0001 that
shipped (the window-score table and `changed_at` exist) and one migrated by the 0001 that
briefly replaced it (neither exists). Both end in the same schema, and going back restores
them. Transactional because migrations cannot run inside a test's transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

WINDOW_TABLE = "reputation_jsswindowscore"
SCORE_TABLE = "reputation_jssscore"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _migrate(targets: list[tuple[str, str]]) -> None:
    MigrationExecutor(connection).migrate(targets)


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _schema() -> tuple[bool, bool]:
    """Whether the window-score table and the score's `changed_at` column exist."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, SCORE_TABLE)
        }
    return WINDOW_TABLE in tables, "changed_at" in columns


def test_0002_drops_the_stored_windows_and_going_back_restores_them():
    try:
        _migrate([("reputation", "0001_initial")])
        assert _schema() == (True, True)
        _migrate_to_latest()
        assert _schema() == (False, False)
    finally:
        _migrate_to_latest()


def test_0002_passes_over_a_database_that_never_had_them():
    try:
        _migrate([("reputation", "0001_initial")])
        with connection.schema_editor() as editor:
            editor.execute(editor.sql_delete_table % {"table": editor.quote_name(WINDOW_TABLE)})
        old_apps = MigrationLoader(connection).project_state(("reputation", "0001_initial")).apps
        score = old_apps.get_model("reputation", "JssScore")
        with connection.schema_editor() as editor:
            editor.remove_field(score, score._meta.get_field("changed_at"))
        assert _schema() == (False, False)
        _migrate_to_latest()
        assert _schema() == (False, False)
    finally:
        _migrate_to_latest()
