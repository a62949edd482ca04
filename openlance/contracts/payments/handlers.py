"""Emails about bonuses, refunds and refund requests, delivered by the outbox worker."""

from __future__ import annotations

from openlance.contracts.models import (
    Bonus,
    Expense,
    ExpenseState,
    Refund,
    RefundRequest,
    RefundRequestState,
)
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.money import Money
from openlance.core.services import event_handler


@event_handler("bonus.paid")
def email_bonus_to_freelancer(event: OutboxEvent) -> None:
    bonus = (
        Bonus.objects.select_related("contract__client", "contract__freelancer", "payment")
        .filter(pk=event.payload.get("bonus_id"))
        .first()
    )
    if bonus is None:
        return
    contract = bonus.contract
    note = f"\n\nTheir note:\n{bonus.note}" if bonus.note else ""
    notify(
        contract.freelancer,
        topic=NotificationTopic.MONEY,
        subject=f"A bonus of {Money(bonus.amount_cents)} on “{contract.title}”",
        body=f"{contract.client.display_name} paid you a bonus of {Money(bonus.amount_cents)}. "
        f"After the service fee of {Money(bonus.payment.fee_cents)} you receive "
        f"{Money(bonus.payment.net_cents)}, pending for the security period.{note}",
        link_label="Open the contract",
        path=f"/contracts/{contract.pk}/",
    )


@event_handler("refund.made")
def email_refund_to_client(event: OutboxEvent) -> None:
    refund = (
        Refund.objects.select_related("contract__client", "contract__freelancer")
        .filter(pk=event.payload.get("refund_id"))
        .first()
    )
    if refund is None:
        return
    contract = refund.contract
    notify(
        contract.client,
        topic=NotificationTopic.MONEY,
        subject=f"A refund of {Money(refund.amount_cents)} on “{contract.title}”",
        body=f"{contract.freelancer.display_name} refunded {Money(refund.amount_cents)} to your "
        f"Openlance balance.\n\nTheir reason:\n{refund.reason}",
        link_label="Open the contract",
        path=f"/contracts/{contract.pk}/",
    )


@event_handler("refund_request.opened")
def email_refund_request_to_freelancer(event: OutboxEvent) -> None:
    request = _request(event)
    if request is None or request.state != RefundRequestState.PENDING:
        return
    contract = request.contract
    notify(
        contract.freelancer,
        topic=NotificationTopic.MONEY,
        subject=f"{contract.client.display_name} asks for a refund on “{contract.title}”",
        body=f"{contract.client.display_name} asks for {Money(request.amount_cents)} back.\n\n"
        f"Their reason:\n{request.reason}\n\nAccept or reject it by "
        f"{request.answer_by:%B %-d, %Y at %H:%M} UTC; without an answer the client may open "
        "a dispute.",
        link_label="Answer the request",
        path=f"/contracts/{contract.pk}/#payments",
    )


@event_handler("refund_request.answered")
def email_refund_answer_to_client(event: OutboxEvent) -> None:
    request = _request(event)
    if request is None:
        return
    contract = request.contract
    outcome = {
        RefundRequestState.ACCEPTED: f"accepted your refund request: "
        f"{Money(request.amount_cents)} is back on your balance.",
        RefundRequestState.REJECTED: f"rejected your refund request.\n\nTheir answer:\n"
        f"{request.answer_note}\n\nYou may open a dispute.",
        RefundRequestState.LAPSED: "did not answer your refund request within 7 days. You may "
        "open a dispute.",
    }.get(RefundRequestState(request.state))
    if outcome is None:
        return
    notify(
        contract.client,
        topic=NotificationTopic.MONEY,
        subject=f"Your refund request on “{contract.title}”",
        body=f"{contract.freelancer.display_name} {outcome}",
        link_label="Open the contract",
        path=f"/contracts/{contract.pk}/#payments",
    )


def _request(event: OutboxEvent) -> RefundRequest | None:
    return (
        RefundRequest.objects.select_related("contract__client", "contract__freelancer")
        .filter(pk=event.payload.get("request_id"))
        .first()
    )


@event_handler("expense.proposed")
@event_handler("expense.answered")
@event_handler("expense.funded")
@event_handler("expense.released")
def email_expense_step(event: OutboxEvent) -> None:
    """The client hears of a proposal; the freelancer of each answer, funding and payment."""
    expense = (
        Expense.objects.select_related("contract__client", "contract__freelancer")
        .filter(pk=event.payload.get("expense_id"))
        .first()
    )
    if expense is None:
        return
    contract = expense.contract
    what = f"“{expense.description}” ({Money(expense.amount_cents)})"
    if event.kind == "expense.proposed":
        if expense.state != ExpenseState.PROPOSED:
            return
        to, subject, body = (
            contract.client,
            f"An expense proposed on “{contract.title}”",
            f"{contract.freelancer.display_name} proposes the expense {what}, with its "
            "receipt. It becomes part of the contract only when you accept it.",
        )
    else:
        said = {
            "expense.answered": f"{contract.client.display_name} "
            f"{'accepted' if expense.state != ExpenseState.DECLINED else 'declined'} "
            f"the expense {what}.",
            "expense.funded": f"{contract.client.display_name} funded the expense {what}: "
            "the money is in escrow.",
            "expense.released": f"{contract.client.display_name} reimbursed the expense {what} "
            "in full; it is pending for the security period.",
        }
        to, subject, body = (
            contract.freelancer,
            f"Your expense on “{contract.title}”",
            said[event.kind],
        )
    notify(
        to,
        topic=NotificationTopic.MONEY,
        subject=subject,
        body=body,
        link_label="Open the contract",
        path=f"/contracts/{contract.pk}/#expenses",
    )
