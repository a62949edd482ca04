"""Build the relationships and payment records from the payments already in the ledger.

A payment is priced by the legs its transfer posted, as `payments_check` reads it: the fee
is what went to platform fee revenue, the net what went to the freelancer (pending or
available), the gross the two together. Its fee base and tiers come from its metadata,
which recorded them. A payment reversed by `transfer_reverse` (before payments were rows)
is refunded in full; a `payment_refund` gives back what its own legs took back. A
relationship's totals are its payments less their reversals and refunds, which is what the
ledger booked for the pair (a reversal and a refund are about the parties of what they
undo).

A payment can carry both a reversal and refunds in one way only: today's `payment_refund`
gave part of it back, the database went back before this migration, and the code of then
(whose `transfer_reverse` knew nothing of refunds) reversed the whole payment. The other
order cannot happen: a reversed payment comes forward refunded in full, so
`payment_refund` has nothing left of it to give back, and today's `transfer_reverse`
refuses payment kinds (`payment_refund` undoes them). That ledger gave back more than the
payment: the record says refunded in full (a payment cannot be refunded beyond itself), its
refunds name it as every refund does, and the relationship takes off all the ledger gave
back, so that it equals the ledger as `payments_check` proves. Where that leaves a pair's
totals below zero no record can hold them, and the migration stops and says so.

Every query takes at most `CHUNK` rows' ids (SQLite allows 32,766 variables in one), and
rows are written in bulk, a chunk at a time."""

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
TOTALS = ("payments", "first_paid_at", "last_paid_at", "gross_cents", "fee_cents", "net_cents")


def _cents(metadata, field):
    value = metadata.get(field)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _metadata(transfer):
    return transfer.metadata if isinstance(transfer.metadata, dict) else {}


def _legs(Entry, transfer_ids):
    """What each transfer posted to platform fee revenue and to the freelancer: (fee, net).
    At most `CHUNK` transfers at a time."""
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


def _refunds(Transfer):
    """Every refund transfer, in chunks, with only its metadata loaded."""
    return _chunks(Transfer.objects.filter(kind=PAYMENT_REFUND).only("metadata").order_by("pk"))


def _given_back(Transfer, Entry):
    """What the refunds booked before this migration gave back, by the transfer of the
    payment they refund: [gross, fee], from their legs."""
    given_back = defaultdict(lambda: [0, 0])
    for chunk in _refunds(Transfer):
        named = {refund.pk: _cents(_metadata(refund), PAYMENT_TRANSFER) for refund in chunk}
        named = {pk: payment_transfer for pk, payment_transfer in named.items() if payment_transfer}
        for pk, (fee, net) in _legs(Entry, list(named)).items():
            given_back[named[pk]][0] -= fee + net
            given_back[named[pk]][1] -= fee
    return given_back


def build(apps, schema_editor):
    Transfer = apps.get_model("ledger", "Transfer")
    Entry = apps.get_model("ledger", "Entry")
    Relationship = apps.get_model("billing", "Relationship")
    Payment = apps.get_model("billing", "Payment")
    given_back = _given_back(Transfer, Entry)
    relationships = {}
    payments = (
        Transfer.objects.filter(kind__in=PAYMENT_KINDS, reverses__isnull=True)
        .exclude(client_id=None)
        .exclude(freelancer_id=None)
        .only("kind", "metadata", "client_id", "freelancer_id", "created_at")
        .order_by("created_at", "id")
    )
    for chunk in _chunks(payments):
        ids = [transfer.pk for transfer in chunk]
        legs = _legs(Entry, ids)
        reversed_ids = set(
            Transfer.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True)
        )
        new_pairs = []
        rows = []
        for transfer in chunk:
            fee, net = legs[transfer.pk]
            gross = fee + net
            if gross <= 0 or fee < 0 or net < 0:
                continue  # paid nobody anything: not a payment
            refunded, refunded_fee = given_back.get(transfer.pk, (0, 0))
            if transfer.pk in reversed_ids:
                refunded, refunded_fee = refunded + gross, refunded_fee + fee
            pair = (transfer.freelancer_id, transfer.client_id)
            relationship = relationships.get(pair)
            if relationship is None:
                relationship = Relationship(
                    freelancer_id=pair[0], client_id=pair[1], created_at=transfer.created_at
                )
                relationships[pair] = relationship
                new_pairs.append(relationship)
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
                    # The record cannot say more was given back than was paid; the
                    # relationship below takes off all the ledger gave back.
                    refunded_cents=min(refunded, gross),
                    refunded_fee_cents=min(refunded_fee, fee),
                    created_at=transfer.created_at,
                )
            )
            relationship.payments += 1
            relationship.first_paid_at = relationship.first_paid_at or transfer.created_at
            relationship.last_paid_at = transfer.created_at
            relationship.gross_cents += gross - refunded
            relationship.fee_cents += fee - refunded_fee
            relationship.net_cents += net - (refunded - refunded_fee)
        # New relationships get their ids here (their totals are written once, at the end),
        # so this chunk's payments can name them.
        Relationship.objects.bulk_create(new_pairs, batch_size=CHUNK)
        Payment.objects.bulk_create(rows, batch_size=CHUNK)
    overdrawn = [
        f"freelancer {r.freelancer_id} / client {r.client_id}"
        for r in relationships.values()
        if min(r.gross_cents, r.fee_cents, r.net_cents) < 0
    ]
    if overdrawn:
        raise RuntimeError(
            "The ledger gave back more than these pairs were paid (a payment reversed after "
            "it was partly refunded), so no relationship can hold their totals: "
            + ", ".join(overdrawn)
            + ". Correct the books with a transfer before migrating."
        )
    Relationship.objects.bulk_update(relationships.values(), TOTALS, batch_size=CHUNK)
    # The refunds name their payments by the new rows' ids again.
    for chunk in _refunds(Transfer):
        named = {refund.pk: _cents(_metadata(refund), PAYMENT_TRANSFER) for refund in chunk}
        new_ids = dict(
            Payment.objects.filter(transfer_id__in=set(named.values()) - {0}).values_list(
                "transfer_id", "pk"
            )
        )
        renamed = []
        for refund in chunk:
            payment_id = new_ids.get(named[refund.pk])
            if payment_id is not None:
                metadata = dict(_metadata(refund))
                metadata.pop(PAYMENT_TRANSFER, None)
                metadata["payment_id"] = payment_id
                refund.metadata = metadata
                renamed.append(refund)
        Transfer.objects.bulk_update(renamed, ["metadata"], batch_size=CHUNK)


def unbuild(apps, schema_editor):
    Transfer = apps.get_model("ledger", "Transfer")
    Payment = apps.get_model("billing", "Payment")
    for chunk in _refunds(Transfer):
        named = {refund.pk: _cents(_metadata(refund), "payment_id") for refund in chunk}
        payment_transfers = dict(
            Payment.objects.filter(pk__in=set(named.values()) - {0}).values_list(
                "pk", "transfer_id"
            )
        )
        renamed = []
        for refund in chunk:
            payment_transfer = payment_transfers.get(named[refund.pk])
            if payment_transfer is not None:
                refund.metadata = {**_metadata(refund), PAYMENT_TRANSFER: payment_transfer}
                renamed.append(refund)
        Transfer.objects.bulk_update(renamed, ["metadata"], batch_size=CHUNK)
    Payment.objects.all().delete()
    apps.get_model("billing", "Relationship").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_relationships_and_payments"),
        ("ledger", "0002_transfer_parties"),
    ]

    operations = [migrations.RunPython(build, unbuild)]
