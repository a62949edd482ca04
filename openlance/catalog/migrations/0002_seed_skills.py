from django.db import migrations
from django.utils.text import slugify

from openlance.catalog.data import CATEGORIES


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Skill = apps.get_model("catalog", "Skill")
    for category_name, skills in CATEGORIES.items():
        category, _ = Category.objects.get_or_create(
            slug=slugify(category_name), defaults={"name": category_name}
        )
        for skill in skills:
            Skill.objects.get_or_create(
                slug=slugify(skill) or skill.lower(), defaults={"name": skill, "category": category}
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
