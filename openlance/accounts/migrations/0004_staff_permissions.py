from django.db import migrations

# What each staff role may do in the operator console now that verification, job posts
# and sandbox payouts exist (SPEC §1, §15). Support moderates job posts.
GRANTS = {
    "Support": [
        ("view", "accounts", "locationverification"),
        ("view", "jobs", "jobpost"),
        ("change", "jobs", "jobpost"),
        ("view", "profiles", "freelancer"),
        ("view", "profiles", "clientprofile"),
        ("view", "accounts", "personalaccesstoken"),
        ("change", "accounts", "personalaccesstoken"),
    ],
    "Verifier": [
        ("view", "accounts", "locationverification"),
        ("change", "accounts", "locationverification"),
        ("view", "accounts", "signinhint"),
        ("view", "profiles", "freelancer"),
    ],
    "Finance": [("change", "billing", "sandboxoperation")],
    "Policy admin": [("view", "core", "policy")],
    "Mediator": [("view", "jobs", "jobpost")],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for action, app_label, model in perms:
            permission = Permission.objects.filter(
                codename=f"{action}_{model}", content_type__app_label=app_label
            ).first()
            if permission is not None:
                group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_location_verification"),
        ("jobs", "0001_initial"),
        ("profiles", "0001_initial"),
        ("billing", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
