from django.db import migrations

# SPEC §1: support reads, it does not change anything. 0004 gave it post removal and token
# revocation; those stay with superusers until a role that owns them exists.
WITHDRAWN = [("jobs", "change_jobpost"), ("accounts", "change_personalaccesstoken")]


def make_support_read_only(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    support = Group.objects.filter(name="Support").first()
    if support is not None:
        support.permissions.remove(*support.permissions.exclude(codename__startswith="view_"))


def give_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    support = Group.objects.filter(name="Support").first()
    if support is not None:
        for app_label, codename in WITHDRAWN:
            support.permissions.add(
                *Permission.objects.filter(codename=codename, content_type__app_label=app_label)
            )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_staff_permissions")]

    operations = [migrations.RunPython(make_support_read_only, give_back)]
