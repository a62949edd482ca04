from django.db import migrations

# Staff roles of SPEC §1, as groups an operator assigns in the console. Each gets the model
# permissions its job needs; later features add theirs in their own migrations.
STAFF_GROUPS = {
    "Support": [
        ("view", "accounts", "user"),
        ("view", "core", "policy"),
        ("view", "ledger", "transfer"),
    ],
    "Mediator": [("view", "accounts", "user")],
    "Verifier": [("view", "accounts", "user")],
    "Finance": [
        ("view", "ledger", "ledgeraccount"),
        ("view", "ledger", "transfer"),
        ("view", "ledger", "entry"),
        ("view", "billing", "sandboxoperation"),
    ],
    "Policy admin": [("view", "core", "policy"), ("add", "core", "policy")],
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for action, app_label, model in perms:
            permission = Permission.objects.filter(
                codename=f"{action}_{model}", content_type__app_label=app_label
            ).first()
            if permission is not None:
                group.permissions.add(permission)
        group.permissions.add(*Permission.objects.filter(codename="view_auditlogentry"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=STAFF_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("core", "0002_policy_presets_and_cache"),
        ("ledger", "0001_initial"),
        ("billing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
