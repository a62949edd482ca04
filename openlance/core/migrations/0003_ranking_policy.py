from django.db import migrations, models
from django.utils import timezone

from openlance.core.presets import PRESETS


def install_ranking(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for preset in PRESETS:
        Policy.objects.get_or_create(
            kind="ranking",
            effective_from=preset["effective_from"],
            defaults={
                "label": preset["label"],
                "params": preset["params"]["ranking"],
                "note": f"Preset “{preset['label']}” shipped with Openlance (SPEC §4.1, §16).",
                "created_at": timezone.now(),
            },
        )


def remove_ranking(apps, schema_editor):
    apps.get_model("core", "Policy").objects.filter(kind="ranking").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_policy_presets_and_cache")]

    operations = [
        migrations.AlterField(
            model_name="policy",
            name="kind",
            field=models.CharField(
                choices=[
                    ("fees", "Fees"),
                    ("connects", "Connects"),
                    ("jss", "Job Success Score"),
                    ("ranking", "Search ranking"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(install_ranking, remove_ranking),
    ]
