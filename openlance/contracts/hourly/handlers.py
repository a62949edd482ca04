"""Emails about hourly work, delivered by the outbox worker: the invoice issued (client),
its charge failed (client), the invoice paid (freelancer), disputed (freelancer), and the
week locking tomorrow (freelancer, where manual time is allowed). Each handler re-reads
the invoice and stays quiet when a later change made its notice stale."""

from __future__ import annotations

from datetime import date, timedelta

from openlance.accounts.models import User
from openlance.contracts.hourly import weeks
from openlance.contracts.models import Contract, HourlyInvoice, InvoiceState
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler


def _invoice(event: OutboxEvent) -> HourlyInvoice | None:
    return (
        HourlyInvoice.objects.select_related("contract__client", "contract__freelancer")
        .filter(pk=event.payload.get("invoice_id"))
        .first()
    )


def _mail(
    to: User,
    subject: str,
    body: str,
    contract: Contract,
    week: date,
    topic: str = NotificationTopic.MONEY,
) -> None:
    notify(
        to,
        topic=topic,
        subject=subject,
        body=body,
        link_label="Open the timesheet",
        path=f"/contracts/{contract.pk}/timesheet/?week={week.isoformat()}",
    )


def _week(invoice: HourlyInvoice) -> str:
    return f"the week of {invoice.week_start:%B %-d}"


@event_handler("hourly.invoice_issued")
def email_invoice_to_client(event: OutboxEvent) -> None:
    invoice = _invoice(event)
    if invoice is None or invoice.state == InvoiceState.UNPAID:
        return  # the failed charge has its own email
    contract = invoice.contract
    review_until = weeks.review_ends_at(invoice.week_start) - timedelta(seconds=1)
    _mail(
        contract.client,
        f"Invoice for {_week(invoice)}: {Money(invoice.total_cents)}",
        f"{contract.freelancer.display_name} logged {weeks.hours_text(invoice.seconds_logged)} "
        f"hours on “{contract.title}” in {_week(invoice)}; "
        f"{weeks.hours_text(invoice.seconds_billed)} are billed at "
        f"{Money(invoice.hourly_rate_cents)}/hr: {Money(invoice.amount_cents)}, plus "
        f"{Money(invoice.marketplace_fee_cents + invoice.initiation_fee_cents)} in fees, "
        f"{Money(invoice.total_cents)} charged to your balance. Review the timesheet: you may "
        f"dispute the invoice until {review_until:%A %B %-d, %H:%M} UTC.",
        contract,
        invoice.week_start,
    )


@event_handler("hourly.invoice_charge_failed")
def email_failed_charge_to_client(event: OutboxEvent) -> None:
    invoice = _invoice(event)
    if invoice is None or invoice.state != InvoiceState.UNPAID:
        return
    contract = invoice.contract
    _mail(
        contract.client,
        f"Payment failed: invoice for {_week(invoice)}",
        f"The invoice of {Money(invoice.total_cents)} for {_week(invoice)} on "
        f"“{contract.title}” could not be charged. {invoice.failure_reason}",
        contract,
        invoice.week_start,
    )


@event_handler("hourly.invoice_paid")
def email_payment_to_freelancer(event: OutboxEvent) -> None:
    invoice = _invoice(event)
    if invoice is None or invoice.state != InvoiceState.PAID or invoice.payment is None:
        return
    contract, payment = invoice.contract, invoice.payment
    _mail(
        contract.freelancer,
        f"Paid: {Money(payment.gross_cents)} for {_week(invoice)}",
        f"The review of your invoice for {_week(invoice)} on “{contract.title}” is over. "
        f"{Money(payment.gross_cents)} was paid; after the service fee of "
        f"{Money(payment.fee_cents)}, {Money(payment.net_cents)} is in your pending balance "
        f"and available to withdraw on {weeks.available_at(invoice.week_start):%A %B %-d}.",
        contract,
        invoice.week_start,
    )


@event_handler("hourly.week_locks_soon")
def email_week_locks_to_freelancer(event: OutboxEvent) -> None:
    contract = (
        Contract.objects.select_related("freelancer")
        .filter(pk=event.payload.get("contract_id"))
        .first()
    )
    if contract is None:
        return
    week = date.fromisoformat(str(event.payload["week_start"]))
    _mail(
        contract.freelancer,
        f"Your timesheet for the week of {week:%B %-d} locks tomorrow",
        f"Time on “{contract.title}” for the week of {week:%B %-d} can be added or changed "
        f"until {weeks.week_locks_at(week) - timedelta(minutes=1):%A %B %-d, %H:%M} UTC; "
        "at noon the week is invoiced. Log any time you have not logged yet.",
        contract,
        week,
        NotificationTopic.HOURLY,
    )
