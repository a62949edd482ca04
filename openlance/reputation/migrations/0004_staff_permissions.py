from django.db import migrations

# Who handles account holds and reads badges in the operator console (SPEC §12, §15).
# Mediators judge conduct between clients and freelancers (disputes, unfounded feedback),
# so they place and lift holds (the "add" permission opens the console's form; the
# services check the Mediator group in `accounts.selectors.is_mediator`). Support reads
# (SPEC §1), to answer users about their badges.
READ = [
    ("view", "accounthold"),
    ("view", "badgestatus"),
    ("view", "badgechange"),
    ("view", "jsssnapshot"),
]
GRANTS = {"Mediator": [*READ, ("add", "accounthold")], "Support": READ}


def _permissions(apps, perms):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="reputation",
        codename__in={f"{action}_{model}" for action, model in perms},
    )


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, perms))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, perms in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, perms))


class Migration(migrations.Migration):
    dependencies = [
        ("reputation", "0003_badges"),
        ("accounts", "0006_payout_and_connects_views"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
