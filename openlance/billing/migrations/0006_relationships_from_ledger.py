"""Build the relationships and payment records from the payments already in the ledger
(their metadata named the parties and the fee, which is how they were read before). A
payment that was reversed counts as refunded in full and not towards the relationship."""

from django.db import migrations

PAYMENT_KINDS = ("milestone_release", "hourly_invoice", "bonus")


def _cents(metadata, field):
    value = metadata.get(field)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def build(apps, schema_editor):
    Transfer = apps.get_model("ledger", "Transfer")
    Relationship = apps.get_model("billing", "Relationship")
    Payment = apps.get_model("billing", "Payment")
    reversed_ids = set(
        Transfer.objects.filter(reverses__isnull=False).values_list("reverses_id", flat=True)
    )
    relationships = {}
    payments = (
        Transfer.objects.filter(kind__in=PAYMENT_KINDS, reverses__isnull=True)
        .exclude(client_id=None)
        .exclude(freelancer_id=None)
        .order_by("created_at", "id")
    )
    for transfer in payments.iterator(chunk_size=2000):
        metadata = transfer.metadata if isinstance(transfer.metadata, dict) else {}
        pair = (transfer.freelancer_id, transfer.client_id)
        relationship = relationships.get(pair)
        if relationship is None:
            relationship = Relationship.objects.create(
                freelancer_id=pair[0], client_id=pair[1], created_at=transfer.created_at
            )
            relationships[pair] = relationship
        gross = _cents(metadata, "gross_cents")
        fee = _cents(metadata, "fee_cents")
        net = gross - fee
        if gross <= 0:
            continue
        refunded = transfer.pk in reversed_ids
        Payment.objects.create(
            transfer=transfer,
            relationship=relationship,
            kind=transfer.kind,
            gross_cents=gross,
            fee_cents=fee,
            net_cents=net,
            billed_before_cents=_cents(metadata, "billed_before_cents"),
            tiers=metadata.get("tiers") if isinstance(metadata.get("tiers"), list) else [],
            refunded_cents=gross if refunded else 0,
            refunded_fee_cents=fee if refunded else 0,
            created_at=transfer.created_at,
        )
        relationship.payments += 1
        relationship.first_paid_at = relationship.first_paid_at or transfer.created_at
        relationship.last_paid_at = transfer.created_at
        if not refunded:
            relationship.gross_cents += gross
            relationship.fee_cents += fee
            relationship.net_cents += net
    for relationship in relationships.values():
        relationship.save()


def unbuild(apps, schema_editor):
    apps.get_model("billing", "Payment").objects.all().delete()
    apps.get_model("billing", "Relationship").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_relationships_and_payments"),
        ("ledger", "0002_transfer_parties"),
    ]

    operations = [migrations.RunPython(build, unbuild)]
