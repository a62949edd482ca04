"""Build the relationships and payment records from the payments already in the ledger.

A payment is priced by the legs its transfer posted, as `payments_check` reads it: the fee
is what went to platform fee revenue, the net what went to the freelancer (pending or
available), the gross the two together. Its fee base and tiers come from its metadata,
which recorded them. A payment reversed by `transfer_reverse` (before payments were rows)
is refunded in full; a `payment_refund` gives back what its own legs took back. A
relationship's totals are its payments less their refunds, which is what the ledger booked
for the pair (a reversal and a refund are about the parties of what they undo)."""

from collections import defaultdict

from django.db import migrations
from django.db.models import Sum

PAYMENT_KINDS = ("milestone_release", "hourly_invoice", "bonus")
PAYMENT_REFUND = "payment_refund"
FEE_ACCOUNT = "platform_fee_revenue"
FREELANCER_ACCOUNTS = ("freelancer_pending", "freelancer_available")
# A refund's metadata names its payment by the Payment's id, which does not outlive the
# rows; going back, the payment's transfer is written beside it, and read coming forward.
PAYMENT_TRANSFER = "payment_transfer_id"
CHUNK = 2000


def _cents(metadata, field):
    value = metadata.get(field)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _metadata(transfer):
    return transfer.metadata if isinstance(transfer.metadata, dict) else {}


def _legs(Entry, transfer_ids):
    """What each transfer posted to platform fee revenue and to the freelancer: (fee, net)."""
    legs = {pk: [0, 0] for pk in transfer_ids}
    rows = (
        Entry.objects.filter(
            transfer_id__in=transfer_ids, account__kind__in=(FEE_ACCOUNT, *FREELANCER_ACCOUNTS)
        )
        .order_by()
        .values_list("transfer_id", "account__kind")
        .annotate(total=Sum("amount_cents"))
    )
    for transfer_id, kind, total in rows:
        legs[transfer_id][0 if kind == FEE_ACCOUNT else 1] += total
    return legs


def _chunks(queryset):
    chunk = []
    for row in queryset.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _refunds(Transfer, Entry):
    """The refunds booked before this migration, by the transfer of the payment they refund:
    each refund transfer and the (gross, fee) it gave back, from its legs."""
    refunds = defaultdict(list)
    for refund in Transfer.objects.filter(kind=PAYMENT_REFUND).only("metadata"):
        payment_transfer = _cents(_metadata(refund), PAYMENT_TRANSFER)
        if payment_transfer:
            refunds[payment_transfer].append(refund)
    by_refund = _legs(Entry, [r.pk for found in refunds.values() for r in found])
    return {
        payment_transfer: [
            (refund, -sum(by_refund[refund.pk]), -by_refund[refund.pk][0]) for refund in found
        ]
        for payment_transfer, found in refunds.items()
    }


def build(apps, schema_editor):
    Transfer = apps.get_model("ledger", "Transfer")
    Entry = apps.get_model("ledger", "Entry")
    Relationship = apps.get_model("billing", "Relationship")
    Payment = apps.get_model("billing", "Payment")
    reversed_ids = set(
        Transfer.objects.filter(reverses__kind__in=PAYMENT_KINDS).values_list(
            "reverses_id", flat=True
        )
    )
    refunds = _refunds(Transfer, Entry)
    relationships = {}
    payments = (
        Transfer.objects.filter(kind__in=PAYMENT_KINDS, reverses__isnull=True)
        .exclude(client_id=None)
        .exclude(freelancer_id=None)
        .only("kind", "metadata", "client_id", "freelancer_id", "created_at")
        .order_by("created_at", "id")
    )
    refunded_payments = {}
    for chunk in _chunks(payments):
        legs = _legs(Entry, [transfer.pk for transfer in chunk])
        rows = []
        for transfer in chunk:
            fee, net = legs[transfer.pk]
            gross = fee + net
            if gross <= 0 or fee < 0 or net < 0:
                continue  # paid nobody anything: not a payment
            if transfer.pk in reversed_ids:
                refunded, refunded_fee = gross, fee
            else:
                given_back = refunds.get(transfer.pk, [])
                refunded = sum(amount for _, amount, _ in given_back)
                refunded_fee = sum(fee_back for _, _, fee_back in given_back)
                if given_back:
                    refunded_payments[transfer.pk] = [refund for refund, _, _ in given_back]
            pair = (transfer.freelancer_id, transfer.client_id)
            relationship = relationships.get(pair)
            if relationship is None:
                relationship = Relationship.objects.create(
                    freelancer_id=pair[0], client_id=pair[1], created_at=transfer.created_at
                )
                relationships[pair] = relationship
            metadata = _metadata(transfer)
            rows.append(
                Payment(
                    transfer=transfer,
                    relationship=relationship,
                    kind=transfer.kind,
                    gross_cents=gross,
                    fee_cents=fee,
                    net_cents=net,
                    billed_before_cents=_cents(metadata, "billed_before_cents"),
                    tiers=metadata.get("tiers") if isinstance(metadata.get("tiers"), list) else [],
                    refunded_cents=refunded,
                    refunded_fee_cents=refunded_fee,
                    created_at=transfer.created_at,
                )
            )
            relationship.payments += 1
            relationship.first_paid_at = relationship.first_paid_at or transfer.created_at
            relationship.last_paid_at = transfer.created_at
            relationship.gross_cents += gross - refunded
            relationship.fee_cents += fee - refunded_fee
            relationship.net_cents += net - (refunded - refunded_fee)
        Payment.objects.bulk_create(rows)
    for relationship in relationships.values():
        relationship.save()
    # The refunds name their payments by the new rows' ids again.
    new_ids = dict(
        Payment.objects.filter(transfer_id__in=refunded_payments).values_list("transfer_id", "pk")
    )
    for payment_transfer, found in refunded_payments.items():
        for refund in found:
            metadata = dict(_metadata(refund))
            metadata.pop(PAYMENT_TRANSFER, None)
            metadata["payment_id"] = new_ids[payment_transfer]
            Transfer.objects.filter(pk=refund.pk).update(metadata=metadata)


def unbuild(apps, schema_editor):
    Transfer = apps.get_model("ledger", "Transfer")
    Payment = apps.get_model("billing", "Payment")
    refunds = list(Transfer.objects.filter(kind=PAYMENT_REFUND).only("metadata"))
    payment_transfers = dict(
        Payment.objects.filter(
            pk__in={_cents(_metadata(refund), "payment_id") for refund in refunds}
        ).values_list("pk", "transfer_id")
    )
    for refund in refunds:
        metadata = _metadata(refund)
        payment_transfer = payment_transfers.get(_cents(metadata, "payment_id"))
        if payment_transfer is not None:
            metadata = {**metadata, PAYMENT_TRANSFER: payment_transfer}
            Transfer.objects.filter(pk=refund.pk).update(metadata=metadata)
    Payment.objects.all().delete()
    apps.get_model("billing", "Relationship").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_relationships_and_payments"),
        ("ledger", "0002_transfer_parties"),
    ]

    operations = [migrations.RunPython(build, unbuild)]
