from django.core.management import call_command
from django.db import migrations
from django.utils import timezone

from openlance.core.presets import PRESETS


def install_presets(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for preset in PRESETS:
        for kind, params in preset["params"].items():
            Policy.objects.get_or_create(
                kind=kind,
                effective_from=preset["effective_from"],
                defaults={
                    "label": preset["label"],
                    "params": params,
                    "note": f"Preset “{preset['label']}” shipped with Openlance (SPEC §16).",
                    "created_at": timezone.now(),
                },
            )


def remove_presets(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for preset in PRESETS:
        Policy.objects.filter(
            effective_from=preset["effective_from"], label=preset["label"]
        ).delete()


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(install_presets, remove_presets),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
