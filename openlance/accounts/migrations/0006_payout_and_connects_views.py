from django.db import migrations

# SPEC §15 "payouts and returned payouts": finance reads payouts and what feeds them, support
# reads them too (and the Connects ledger) to answer users; the console pages are read-only.
GRANTS = {
    "Finance": [
        ("billing", "payout"),
        ("billing", "withdrawalmethod"),
        ("billing", "pendingearning"),
        ("billing", "payoutsettings"),
    ],
    "Support": [
        ("billing", "payout"),
        ("billing", "withdrawalmethod"),
        ("billing", "pendingearning"),
        ("billing", "payoutsettings"),
        ("connects", "connectsaccount"),
        ("connects", "connectslot"),
        ("connects", "connectsmove"),
    ],
}


def _view_permissions(apps, perms):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label__in={app for app, _ in perms},
        codename__in={f"view_{model}" for _, model in perms},
    )


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_view_permissions(apps, perms))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, perms in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_view_permissions(apps, perms))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_support_read_only"),
        ("billing", "0003_withdrawalmethod_payout_payoutsettings_and_more"),
        ("connects", "0003_monthly_day"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
