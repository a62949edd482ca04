"""Charge claims: before a card is charged for something a user can pay for only once, the
request claims it, and any other request claiming the same subject is refused before its
card is touched. See `ChargeClaim`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction

from openlance.billing.models import ChargeClaim
from openlance.core import clock
from openlance.core.errors import InvalidTransition

# Far longer than a gateway call with its retries; a claim older than this is abandoned.
CLAIM_TIMEOUT = timedelta(minutes=5)


def _take(subject: str, holder: str, busy: str) -> None:
    now = clock.now()
    try:
        with transaction.atomic():
            claim = ChargeClaim.objects.select_for_update().filter(subject=subject).first()
            if claim is None:
                ChargeClaim.objects.create(subject=subject, holder=holder, claimed_at=now)
                return
            if claim.holder != holder and claim.claimed_at > now - CLAIM_TIMEOUT:
                raise InvalidTransition(busy)
            claim.holder = holder
            claim.claimed_at = now
            claim.save(update_fields=["holder", "claimed_at"])
    except IntegrityError as lost:
        # Another request inserted the claim between our read and our insert.
        raise InvalidTransition(busy) from lost


@contextmanager
def charge_claim(*, subject: str, holder: str, busy: str) -> Iterator[None]:
    """Hold `subject` for the duration of the block, which charges and books. Another
    request holding it is an InvalidTransition with the `busy` message, raised before the
    block runs. `holder` names the charge the way the gateway knows it (the request's key):
    a retry of the same charge after a crash retakes its own claim at once instead of
    waiting for it to lapse. The claim is freed when the block ends, whatever happened; the
    block must re-check, after claiming, that what it pays for is still unpaid."""
    _take(subject, holder, busy)
    try:
        yield
    finally:
        ChargeClaim.objects.filter(subject=subject, holder=holder).delete()
