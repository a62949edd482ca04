# The windows' scores are computed again wherever they are shown (the explanation page and
# the API) and each change keeps the ones it made in its history row, so the stored copies
# go; when a score last changed is its latest history row.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reputation", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="JssWindowScore"),
        migrations.RemoveField(model_name="jssscore", name="changed_at"),
    ]
