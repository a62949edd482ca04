"""Link existing milestone payments to their milestones, and record each contract's first
funding and its initiation fee, from the metadata the ledger kept (how they were read
before these were columns)."""

from django.db import migrations


def _int(metadata, field):
    value = metadata.get(field)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def link(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    Transfer = apps.get_model("ledger", "Transfer")
    Contract = apps.get_model("contracts", "Contract")
    Milestone = apps.get_model("contracts", "Milestone")
    MilestoneRelease = apps.get_model("contracts", "MilestoneRelease")
    milestones = dict(Milestone.objects.values_list("pk", "contract_id"))
    releases = Payment.objects.filter(transfer__kind="milestone_release").select_related("transfer")
    for payment in releases.iterator(chunk_size=2000):
        metadata = payment.transfer.metadata if isinstance(payment.transfer.metadata, dict) else {}
        milestone_id = _int(metadata, "milestone_id")
        if milestone_id not in milestones:
            continue
        MilestoneRelease.objects.create(
            milestone_id=milestone_id,
            contract_id=milestones[milestone_id],
            payment=payment,
            automatic=bool(metadata.get("automatic", False)),
            created_at=payment.created_at,
        )
    contracts = set(Contract.objects.values_list("pk", flat=True))
    seen = set()
    fundings = Transfer.objects.filter(kind="milestone_fund").order_by("created_at", "id")
    for funding in fundings.iterator(chunk_size=2000):
        metadata = funding.metadata if isinstance(funding.metadata, dict) else {}
        contract_id = _int(metadata, "contract_id")
        if contract_id not in contracts or contract_id in seen:
            continue
        seen.add(contract_id)
        Contract.objects.filter(pk=contract_id).update(
            first_funding=funding,
            initiation_fee_cents=_int(metadata, "initiation_fee_cents") or 0,
        )


def unlink(apps, schema_editor):
    apps.get_model("contracts", "MilestoneRelease").objects.all().delete()
    apps.get_model("contracts", "Contract").objects.update(
        first_funding=None, initiation_fee_cents=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0004_relationships_and_payments"),
        ("billing", "0006_relationships_from_ledger"),
    ]

    operations = [migrations.RunPython(link, unlink)]
