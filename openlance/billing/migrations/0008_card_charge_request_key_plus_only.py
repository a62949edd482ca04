# Only a Plus subscription's first charge keeps the digest of its request's key now (it is
# the subscription's key). Charges recorded before kept it for deposits and bundles too, and
# a retry of one of those with the same Idempotency-Key would be compared against it and
# refused as "another charge": those digests go.
from django.db import migrations


def forget_request_keys(apps, schema_editor):
    CardCharge = apps.get_model("billing", "CardCharge")
    CardCharge.objects.exclude(purpose="plus_start").exclude(request_key="").update(request_key="")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_card_charge"),
    ]

    # The digests cannot come back: going back leaves them empty, and under the older code a
    # same-key retry of such a charge is refused as another charge; card_charges_reconcile
    # books it (its key is the gateway's, so the card is never charged twice).
    operations = [migrations.RunPython(forget_request_keys, migrations.RunPython.noop)]
