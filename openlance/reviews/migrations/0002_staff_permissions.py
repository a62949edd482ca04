from django.db import migrations

# Who sees feedback in the operator console (SPEC §10, §15). Mediators judge disputes
# between clients and freelancers, so they also judge whether a client's poor feedback is
# unfounded: they read feedback (private part included) and flag or clear clients (the
# action itself checks the Mediator group in `accounts.selectors.is_mediator`). Support
# reads, to answer users.
GRANTS = {
    "Mediator": [
        ("view", "feedback"),
        ("view", "feedbackwindow"),
        ("view", "clientfeedbackflag"),
    ],
    "Support": [
        ("view", "feedback"),
        ("view", "feedbackwindow"),
        ("view", "clientfeedbackflag"),
    ],
}


def _permissions(apps, perms):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="reviews",
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
        ("reviews", "0001_feedback"),
        ("accounts", "0006_payout_and_connects_views"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
