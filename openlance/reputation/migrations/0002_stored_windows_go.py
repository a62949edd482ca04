# The windows' scores are computed again wherever they are shown (the explanation page and
# the API) and each change keeps the ones it made in its history row, so the stored copies
# go; when a score last changed is its latest history row.
#
# Databases migrated by code that briefly shipped another 0001 (between f9c403b and
# 5d42041) never had the table or the column, so the database side drops only what exists.
from django.db import migrations

JSS_SCORE_TABLE = "reputation_jssscore"
WINDOW_TABLE = "reputation_jsswindowscore"


def drop_what_exists(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        columns = {
            column.name
            for column in connection.introspection.get_table_description(cursor, JSS_SCORE_TABLE)
        }
    if WINDOW_TABLE in tables:
        schema_editor.delete_model(apps.get_model("reputation", "JssWindowScore"))
    if "changed_at" in columns:
        score = apps.get_model("reputation", "JssScore")
        schema_editor.remove_field(score, score._meta.get_field("changed_at"))


def restore(apps, schema_editor):
    schema_editor.create_model(apps.get_model("reputation", "JssWindowScore"))
    score = apps.get_model("reputation", "JssScore")
    schema_editor.add_field(score, score._meta.get_field("changed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("reputation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_what_exists, restore)],
            state_operations=[
                migrations.DeleteModel(name="JssWindowScore"),
                migrations.RemoveField(model_name="jssscore", name="changed_at"),
            ],
        ),
    ]
