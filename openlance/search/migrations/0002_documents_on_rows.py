"""PostgreSQL: each document moves from its index table onto the indexed row.

A text search then reads each matching profile or post once, filter columns included,
instead of joining `search_index_*` row by row (see openlance.search.index). The column is
not a model field; SQLite keeps its FTS5 tables and is untouched.
"""

from django.db import migrations

MOVES = (("search_index_profile", "profiles_profile"), ("search_index_job", "jobs_jobpost"))


def onto_rows(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index_table, row_table in MOVES:
        schema_editor.execute(f"ALTER TABLE {row_table} ADD COLUMN search_document tsvector")
        schema_editor.execute(
            f"UPDATE {row_table} AS indexed SET search_document = old.document "  # noqa: S608
            f"FROM {index_table} AS old WHERE old.object_id = indexed.id"
        )
        schema_editor.execute(
            f"CREATE INDEX {row_table}_search_document ON {row_table} USING gin (search_document)"
        )
        schema_editor.execute(f"DROP TABLE {index_table}")


def into_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index_table, row_table in MOVES:
        schema_editor.execute(
            f"CREATE TABLE {index_table} (object_id bigint PRIMARY KEY, document tsvector NOT NULL)"
        )
        schema_editor.execute(
            f"INSERT INTO {index_table} (object_id, document) "  # noqa: S608
            f"SELECT id, search_document FROM {row_table} WHERE search_document IS NOT NULL"
        )
        schema_editor.execute(
            f"CREATE INDEX {index_table}_document ON {index_table} USING gin (document)"
        )
        schema_editor.execute(f"ALTER TABLE {row_table} DROP COLUMN search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_indexes"),
        ("profiles", "0005_search_rank"),
        ("jobs", "0001_initial"),
    ]

    operations = [migrations.RunPython(onto_rows, into_tables)]
