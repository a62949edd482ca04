"""Attachments stored before the shared upload helper were typed "image", which is not a
MIME type; their files were re-encoded to PNG or JPEG, so the file name tells which."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def real_content_types(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    attachment = apps.get_model("jobs", "JobAttachment")
    for suffix, content_type in ((".png", "image/png"), (".jpg", "image/jpeg")):
        attachment.objects.filter(content_type="image", file__endswith=suffix).update(
            content_type=content_type
        )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_search_covering_index"),
    ]

    operations = [
        migrations.RunPython(real_content_types, migrations.RunPython.noop),
    ]
