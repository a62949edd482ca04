from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_past_hires(apps, schema_editor):
    # Every contract started from a post is a hire on it: posts kept open after a hire
    # need the count now so that they close as hired later.
    JobPost = apps.get_model("jobs", "JobPost")
    Contract = apps.get_model("contracts", "Contract")
    hires = (
        Contract.objects.filter(job=OuterRef("pk"))
        .order_by()
        .values("job")
        .annotate(n=Count("pk"))
        .values("n")
    )
    JobPost.objects.update(hires_count=Coalesce(Subquery(hires), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0003_attachment_real_content_types"),
        ("contracts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="jobpost",
            name="hires_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_past_hires, migrations.RunPython.noop),
    ]
