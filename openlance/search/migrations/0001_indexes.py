"""The full-text index tables, one per index, in each database's own dialect.

SQLite: an FTS5 table whose rowid is the object id. The tokenizer only splits on spaces in
practice, because the text it receives is already normalized by openlance.search.text;
remove_diacritics 0 stops it from folding letters PostgreSQL would keep apart.
PostgreSQL: a tsvector per object (fields weighted A/B/C) with a GIN index.
"""

from django.db import migrations

INDEXES = ("search_index_profile", "search_index_job")


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in INDEXES:
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5("
                "title, skills, body, tokenize='unicode61 remove_diacritics 0')"
            )
        elif vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TABLE {table} (object_id bigint PRIMARY KEY, document tsvector NOT NULL)"
            )
            schema_editor.execute(f"CREATE INDEX {table}_document ON {table} USING gin (document)")
        else:
            raise RuntimeError(f"Openlance search supports SQLite and PostgreSQL, not {vendor}.")


def drop(apps, schema_editor):
    for table in INDEXES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [migrations.RunPython(create, drop)]
