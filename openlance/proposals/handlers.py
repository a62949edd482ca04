"""Reactions of proposals to events of posts and messages, delivered by the outbox worker."""

from __future__ import annotations

from openlance.core import clock
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.policies import connects_policy_at
from openlance.core.services import event_handler
from openlance.jobs.models import JobPost
from openlance.jobs.services import job_touch
from openlance.proposals.models import Invitation, Proposal
from openlance.proposals.services import proposals_job_closed

TOPIC_PREFIX = "proposal:"


def _job(event: OutboxEvent) -> JobPost | None:
    return JobPost.objects.filter(pk=event.payload["job_id"]).first()


@event_handler("job.closed_no_hire")
@event_handler("job.removed")
def refund_on_close(event: OutboxEvent) -> None:
    job = _job(event)
    if job is not None:
        proposals_job_closed(job=job, refund=True)


@event_handler("job.expired")
def refund_on_expiry(event: OutboxEvent) -> None:
    job = _job(event)
    if job is not None:
        # The rule in force when the post expired, however late the outbox delivers this.
        expired_at = job.closed_at or clock.now()
        refund = connects_policy_at(expired_at).refund_on_expiry_without_hire
        proposals_job_closed(job=job, refund=refund)


@event_handler("job.closed_hired")
def archive_on_hire(event: OutboxEvent) -> None:
    job = _job(event)
    if job is not None:
        proposals_job_closed(job=job, refund=False)


@event_handler("message.sent")
def client_message_keeps_job_open(event: OutboxEvent) -> None:
    topic = str(event.payload.get("topic") or "")
    if not topic.startswith(TOPIC_PREFIX) or not topic[len(TOPIC_PREFIX) :].isdigit():
        return
    proposal = (
        Proposal.objects.select_related("job").filter(pk=int(topic[len(TOPIC_PREFIX) :])).first()
    )
    if proposal is not None and event.payload.get("sender_id") == proposal.job.client_id:
        job_touch(job=proposal.job)


@event_handler("invitation.sent")
def email_invitation(event: OutboxEvent) -> None:
    invitation = (
        Invitation.objects.select_related("job", "job__client", "freelancer")
        .filter(pk=event.payload["invitation_id"])
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return
    notify(
        invitation.freelancer,
        topic=NotificationTopic.PROPOSALS,
        subject=f"You are invited to propose on “{invitation.job.title}”",
        body=f"A client invites you to send a proposal for “{invitation.job.title}”. "
        f"Answering an invitation costs no Connects.\n\n{invitation.message}",
        link_label="Accept or decline",
        path=f"/proposals/invitations/{invitation.pk}/",
    )
