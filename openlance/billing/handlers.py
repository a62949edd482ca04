"""Reactions to money events, delivered by the outbox worker: notices about a freelancer's
payouts, and a client's payment method verified by their first successful card charge."""

from __future__ import annotations

from openlance.accounts.models import User
from openlance.billing.models import Payout
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler
from openlance.profiles.services import client_payment_method_verify


def _payout(event: OutboxEvent) -> Payout | None:
    return (
        Payout.objects.select_related("user", "method")
        .filter(pk=event.payload["payout_id"])
        .first()
    )


def _mail(payout: Payout, subject: str, body: str) -> None:
    notify(
        payout.user,
        topic=NotificationTopic.MONEY,
        subject=subject,
        body=body,
        link_label="Your payouts",
        path="/wallet/#payouts",
    )


@event_handler("payout.sent")
def notify_payout_sent(event: OutboxEvent) -> None:
    payout = _payout(event)
    if payout is None:
        return
    _mail(
        payout,
        f"{Money(payout.net_cents)} is on its way to your {payout.method}",
        f"We sent {Money(payout.net_cents)} to your {payout.method} "
        f"({Money(payout.amount_cents)} withdrawn, {Money(payout.fee_cents)} method fee).",
    )


@event_handler("payout.returned")
def notify_payout_returned(event: OutboxEvent) -> None:
    payout = _payout(event)
    if payout is None:
        return
    reason = payout.failure_reason.replace("_", " ") or "no reason given"
    _mail(
        payout,
        f"Your payout of {Money(payout.net_cents)} was returned",
        f"Your {payout.method} returned the payout of {Money(payout.net_cents)} ({reason}). "
        f"The full {Money(payout.amount_cents)}, including the method fee, is back in your "
        "available balance. Check the method's details or choose another one, then withdraw "
        "again.",
    )


@event_handler("payout.failed")
def notify_payout_failed(event: OutboxEvent) -> None:
    payout = _payout(event)
    if payout is None:
        return
    _mail(
        payout,
        "Your payout could not be sent",
        f"The payment provider refused the payout of {Money(payout.net_cents)} to your "
        f"{payout.method} ({payout.failure_reason or 'no reason given'}). "
        f"The full {Money(payout.amount_cents)} is back in your available balance.",
    )


@event_handler("payment_method.charged")
def verify_the_clients_payment_method(event: OutboxEvent) -> None:
    """SPEC §2.3: a card that was charged successfully verifies the client's payment
    method."""
    client = User.objects.filter(pk=event.payload.get("user_id")).first()
    if client is not None:
        client_payment_method_verify(user=client)
