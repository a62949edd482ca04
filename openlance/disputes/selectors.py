"""Reads over disputes: a party sees the disputes of their contracts; a mediator sees all
(the queue, by deadline) except those of their own contracts, with the case file: the
contract's milestones, criteria, submissions, expenses, the disputed invoice's time and the
contract's conversation, files included. Anyone else: 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile

from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.contracts.common import contract_topic
from openlance.contracts.models import Expense, Milestone, SubmissionFile, TimeEntry
from openlance.core.errors import NotFound, require_id
from openlance.disputes.models import OPEN_DISPUTE_STATES, Dispute
from openlance.messaging.models import Message, MessageAttachment
from openlance.messaging.selectors import conversation_by_topic, messages_in

# What a dispute's page and lists read with it.
PARTS = ("contract__client", "contract__freelancer", "milestone", "invoice", "expense", "mediator")
# The case file shows the latest messages; the parties' own room has the rest.
CASE_FILE_MESSAGES = 200


def disputes_for(*, user: User) -> QuerySet[Dispute]:
    """The user's disputes as a party; for a mediator, also every dispute on others'
    contracts."""
    disputes = Dispute.objects.select_related(*PARTS)
    if is_mediator(user=user):
        return disputes
    return disputes.filter(Q(contract__client=user) | Q(contract__freelancer=user))


def disputes_of_party(*, user: User) -> QuerySet[Dispute]:
    return Dispute.objects.select_related("contract", "milestone", "invoice", "expense").filter(
        Q(contract__client=user) | Q(contract__freelancer=user)
    )


def dispute_for(*, user: User, dispute_id: int) -> Dispute:
    require_id(dispute_id, "dispute")
    dispute = disputes_for(user=user).filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound("There is no such dispute.")
    return dispute


def mediation_queue(*, mediator: User) -> QuerySet[Dispute]:
    """Open disputes the mediator may take (none of their own contracts), the nearest
    deadline first."""
    return (
        Dispute.objects.filter(state__in=OPEN_DISPUTE_STATES)
        .exclude(Q(contract__client=mediator) | Q(contract__freelancer=mediator))
        .select_related(*PARTS)
        .order_by("respond_by", "id")
    )


def dispute_of(*, user: User, subject: str, subject_id: int) -> Dispute:
    """The latest dispute on a milestone, invoice or expense, for its contract's parties or a
    mediator."""
    require_id(subject_id, subject)
    dispute = disputes_for(user=user).filter(**{f"{subject}_id": subject_id}).first()
    if dispute is None:
        raise NotFound("There is no such dispute.")
    return dispute


@dataclass(frozen=True)
class CaseFile:
    """What a mediator reads before deciding."""

    milestones: list[Milestone]
    expenses: list[Expense]
    time_entries: list[TimeEntry]
    messages: list[Message]


def case_file(dispute: Dispute) -> CaseFile:
    contract = dispute.contract
    milestones = list(
        Milestone.objects.filter(contract=contract)
        .prefetch_related("criteria", "submissions__files")
        .order_by("position", "id")
    )
    entries: list[TimeEntry] = []
    if dispute.invoice_id is not None:
        entries = list(
            TimeEntry.objects.filter(invoice_id=dispute.invoice_id).order_by("started_at", "id")
        )
    conversation = conversation_by_topic(topic=contract_topic(contract))
    messages: list[Message] = []
    if conversation is not None:
        latest = messages_in(conversation=conversation).order_by("-id")[:CASE_FILE_MESSAGES]
        messages = list(reversed(latest))
    return CaseFile(
        milestones=milestones,
        expenses=list(Expense.objects.filter(contract=contract).order_by("id")),
        time_entries=entries,
        messages=messages,
    )


@dataclass(frozen=True)
class CaseDocument:
    file: FieldFile
    name: str
    content_type: str


def case_document(*, dispute: Dispute, kind: str, document_id: int) -> CaseDocument:
    """A file of the dispute's contract (a submission, a message attachment or an expense
    receipt), for whoever may read the dispute. Anything else: 404."""
    require_id(document_id, "file")
    contract = dispute.contract
    if kind == "submission":
        row = SubmissionFile.objects.filter(
            pk=document_id, submission__milestone__contract=contract
        ).first()
        if row is not None:
            return CaseDocument(row.file, row.name, row.content_type)
    elif kind == "attachment":
        attachment = MessageAttachment.objects.filter(
            pk=document_id, message__conversation__topic=contract_topic(contract)
        ).first()
        if attachment is not None:
            return CaseDocument(attachment.file, attachment.name, attachment.content_type)
    elif kind == "receipt":
        expense = Expense.objects.filter(pk=document_id, contract=contract).first()
        if expense is not None:
            return CaseDocument(expense.receipt, expense.receipt_name, expense.receipt_content_type)
    raise NotFound("There is no such file.")
