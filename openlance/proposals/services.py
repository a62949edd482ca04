"""All writes to proposals and invitations (SPEC §5 cost and refunds, §6 up to offers).

A proposal is paid for when it is sent, with a Connects key derived from (post, freelancer):
a double submit, however it races, creates one proposal and spends once. Answering an
invitation is free. Closing a post without a hire, its removal and (by policy) its expiry
give every spend on it back exactly once; a withdrawal never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from openlance.accounts.models import User
from openlance.connects.services import connects_refund, connects_spend
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.services import event_emit
from openlance.core.uploads import MEGABYTE, Document, checked_attachment
from openlance.jobs.models import Duration, JobPost, JobState, JobVisibility
from openlance.jobs.services import (
    MAXIMUM_BUDGET_CENTS,
    MINIMUM_FIXED_CENTS,
    MINIMUM_HOURLY_CENTS,
    job_touch,
)
from openlance.messaging.models import Message
from openlance.messaging.services import conversation_open, message_send
from openlance.profiles.models import Freelancer, Profile, Visibility
from openlance.proposals.models import (
    LIVE_STATES,
    MAX_ATTACHMENTS,
    MAX_MILESTONES,
    TRANSITIONS,
    DeclineReason,
    Invitation,
    InvitationState,
    Proposal,
    ProposalAnswer,
    ProposalAttachment,
    ProposalMilestone,
    ProposalState,
)
from openlance.proposals.quotes import proposal_quote

MAX_ATTACHMENT_BYTES = 10 * MEGABYTE
MAX_COVER_LETTER = 5000
MAX_ANSWER = 5000


@dataclass
class MilestoneDraft:
    description: str
    amount_cents: int | None
    due_on: date | None = None


@dataclass
class ProposalDraft:
    """What a freelancer writes; validated as a whole against the post."""

    profile_id: int | None
    cover_letter: str
    bid_type: str
    duration: str
    bid_cents: int | None = None
    hourly_rate_cents: int | None = None
    milestones: list[MilestoneDraft] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    # The cost the freelancer was shown; when the policy changed since, they are asked again.
    expected_cost: int | None = None


def spend_key(*, job: JobPost, freelancer: User) -> str:
    return f"proposal:job:{job.pk}:freelancer:{freelancer.pk}:spend"


def refund_key(proposal: Proposal) -> str:
    return f"proposal:{proposal.pk}:refund"


_REFUSALS: dict[tuple[str, str], str] = {
    (ProposalState.OFFER, ProposalState.WITHDRAWN): (
        "An offer is waiting for you on this proposal: decline the offer first."
    ),
    (ProposalState.OFFER, ProposalState.DECLINED): (
        "Your offer on this proposal is still pending: withdraw the offer first."
    ),
}


def _move(proposal: Proposal, target: str, **extra: object) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if target not in TRANSITIONS[locked.state]:
        raise InvalidTransition(
            _REFUSALS.get((locked.state, target))
            or f"A proposal that is {locked.get_state_display().lower()} cannot become "
            f"{ProposalState(target).label.lower()}."
        )
    previous = locked.state
    proposal.state = target
    proposal.updated_at = clock.now()
    for name, value in extra.items():
        setattr(proposal, name, value)
    # Only what moved: the caller's copy may hold flags (shortlist, archive) that another
    # request has changed since it was read.
    proposal.save(update_fields=["state", "updated_at", *extra])
    event_emit(
        kind=f"proposal.{target}",
        payload={
            "proposal_id": proposal.pk,
            "job_id": proposal.job_id,
            "freelancer_id": proposal.freelancer_id,
            "from": previous,
            "to": target,
        },
    )
    return proposal


def _profile_of(freelancer: User, profile_id: int | None, errors: dict[str, list[str]]) -> Profile:
    owner = Freelancer.objects.filter(user=freelancer).first()
    if owner is None:
        raise InvalidInput("Create your freelancer profile before sending proposals.")
    if owner.visibility == Visibility.PRIVATE:
        raise InvalidInput(
            "Your profile is private; make it visible so the client can see who is proposing.",
            field_errors={"profile": ["Your profile is private."]},
        )
    profiles = Profile.objects.filter(freelancer=owner)
    profile = (
        profiles.filter(pk=profile_id).first()
        if profile_id is not None
        else profiles.filter(is_general=True).first()
    )
    if profile is None:
        errors["profile"] = ["Choose one of your profiles."]
        return profiles.first() or Profile()
    return profile


def _checked_bid(job: JobPost, draft: ProposalDraft, errors: dict[str, list[str]]) -> None:
    if draft.bid_type != job.budget_type:
        errors["bid_type"] = [f"This post is {job.get_budget_type_display().lower()}."]
        return
    if draft.bid_type == "fixed":
        if draft.bid_cents is None or not (
            MINIMUM_FIXED_CENTS <= draft.bid_cents <= MAXIMUM_BUDGET_CENTS
        ):
            errors["bid_amount"] = ["A fixed bid of at least $5.00."]
        if draft.hourly_rate_cents is not None:
            errors["hourly_rate"] = ["A fixed-price bid has no hourly rate."]
        if len(draft.milestones) > MAX_MILESTONES:
            errors["milestones"] = [f"At most {MAX_MILESTONES} milestones."]
        elif draft.milestones:
            today = clock.now().date()
            for milestone in draft.milestones:
                if not milestone.description.strip() or len(milestone.description) > 200:
                    errors["milestones"] = ["Describe each milestone in up to 200 characters."]
                elif milestone.amount_cents is None or not (
                    MINIMUM_FIXED_CENTS <= milestone.amount_cents <= MAXIMUM_BUDGET_CENTS
                ):
                    errors["milestones"] = ["Each milestone is at least $5.00."]
                elif milestone.due_on is not None and milestone.due_on < today:
                    errors["milestones"] = ["A milestone cannot be due in the past."]
            if "milestones" not in errors and draft.bid_cents is not None:
                total = sum(m.amount_cents or 0 for m in draft.milestones)
                if total != draft.bid_cents:
                    errors["milestones"] = [
                        "The milestones add up to "
                        f"${total / 100:,.2f}, not the bid of ${draft.bid_cents / 100:,.2f}."
                    ]
    else:
        if draft.hourly_rate_cents is None or not (
            MINIMUM_HOURLY_CENTS <= draft.hourly_rate_cents <= MAXIMUM_BUDGET_CENTS
        ):
            errors["hourly_rate"] = ["An hourly rate of at least $3.00."]
        if draft.bid_cents is not None:
            errors["bid_amount"] = ["An hourly bid has no fixed amount."]
        if draft.milestones:
            errors["milestones"] = ["Milestones are for fixed-price bids."]


def _validated(
    job: JobPost, freelancer: User, draft: ProposalDraft
) -> tuple[Profile, list[tuple[int, str, str]]]:
    errors: dict[str, list[str]] = {}
    profile = _profile_of(freelancer, draft.profile_id, errors)
    letter = draft.cover_letter.strip()
    if not letter or len(letter) > MAX_COVER_LETTER:
        errors["cover_letter"] = [f"Write a cover letter of up to {MAX_COVER_LETTER} characters."]
    if draft.duration not in Duration.values:
        errors["duration"] = ["Choose how long you expect the work to take."]
    _checked_bid(job, draft, errors)
    questions = list(job.questions.order_by("position"))
    answers = [answer.strip() for answer in draft.answers]
    if len(answers) != len(questions) or any(not a for a in answers):
        errors["answers"] = ["Answer every screening question."]
    elif any(len(a) > MAX_ANSWER for a in answers):
        errors["answers"] = [f"Each answer is at most {MAX_ANSWER} characters."]
    if errors:
        raise InvalidInput("The proposal has problems; see the fields.", field_errors=errors)
    return profile, [(q.position, q.text, a) for q, a in zip(questions, answers, strict=True)]


def _checked_uploads(uploads: Sequence[UploadedFile], present: int = 0) -> list[Document]:
    if present + len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(
            f"A proposal has at most {MAX_ATTACHMENTS} attachments.",
            field_errors={"attachments": [f"At most {MAX_ATTACHMENTS} files."]},
        )
    return [
        checked_attachment(upload, field="attachments", max_bytes=MAX_ATTACHMENT_BYTES)
        for upload in uploads
    ]


def _attach(proposal: Proposal, document: Document) -> None:
    attachment = ProposalAttachment(
        proposal=proposal,
        name=document.name,
        size_bytes=document.size,
        content_type=document.content_type,
        uploaded_at=clock.now(),
    )
    attachment.file.save(
        f"proposal-{proposal.pk}-{document.content.name}", document.content, save=False
    )
    attachment.save()


def _check_may_propose(job: JobPost, freelancer: User, invitation: Invitation | None) -> None:
    if not freelancer.is_freelancer:
        raise InvalidInput("Switch on the freelancer role to send proposals.")
    if job.client_id == freelancer.pk:
        raise NotFound("No such job post.")
    if job.visibility == JobVisibility.INVITE_ONLY and invitation is None:
        # An invite-only post does not exist for anyone not invited to it.
        raise NotFound("No such job post.")
    if job.state != JobState.OPEN:
        raise InvalidTransition("This job post is no longer taking proposals.")
    codes = [country.code for country in job.countries]
    if codes and freelancer.verified_country.code not in codes:
        names = ", ".join(country.name for country in job.countries)
        raise Conflict(
            f"This post takes proposals only from freelancers with a verified location in "
            f"{names}. Verify your location on your profile first."
        )


def proposal_submit(
    *,
    freelancer: User,
    job: JobPost,
    draft: ProposalDraft,
    attachments: Sequence[UploadedFile] = (),
) -> Proposal:
    """Send a proposal, paying its Connects (free when answering an invitation)."""
    with transaction.atomic():
        # The post's row lock serializes proposals to it: the duplicate check, the spend
        # and the counter below cannot interleave with another submit.
        job = JobPost.objects.select_for_update().get(pk=job.pk)
        invitation = (
            Invitation.objects.select_for_update()
            .filter(job=job, freelancer=freelancer, state=InvitationState.PENDING)
            .first()
        )
        _check_may_propose(job, freelancer, invitation)
        if Proposal.objects.filter(job=job, freelancer=freelancer).exists():
            raise Conflict("You already sent a proposal for this job.")
        profile, answers = _validated(job, freelancer, draft)
        cleaned = _checked_uploads(attachments)
        quote = proposal_quote(job=job, freelancer=freelancer)
        if draft.expected_cost is not None and draft.expected_cost != quote.cost:
            raise Conflict(
                f"Sending this proposal now costs {quote.cost} Connects, not "
                f"{draft.expected_cost}. Check the cost and send again."
            )
        spend = None
        if quote.cost:
            spend = connects_spend(
                user=freelancer,
                units=quote.cost,
                key=spend_key(job=job, freelancer=freelancer),
                description=f"Proposal for “{job.title[:200]}”",
                reference=f"job:{job.pk}",
            )
        now = clock.now()
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    job=job,
                    freelancer=freelancer,
                    profile=profile,
                    invitation=invitation,
                    cover_letter=draft.cover_letter.strip(),
                    bid_type=draft.bid_type,
                    bid_cents=draft.bid_cents if draft.bid_type == "fixed" else None,
                    hourly_rate_cents=(
                        draft.hourly_rate_cents if draft.bid_type == "hourly" else None
                    ),
                    duration=draft.duration,
                    connects_cost=quote.cost,
                    connects_spend=spend,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            raise Conflict("You already sent a proposal for this job.") from None
        ProposalMilestone.objects.bulk_create(
            ProposalMilestone(
                proposal=proposal,
                position=n,
                description=m.description.strip(),
                amount_cents=m.amount_cents or 0,
                due_on=m.due_on,
            )
            for n, m in enumerate(draft.milestones if draft.bid_type == "fixed" else [], 1)
        )
        ProposalAnswer.objects.bulk_create(
            ProposalAnswer(proposal=proposal, position=position, question=question, answer=answer)
            for position, question, answer in answers
        )
        for document in cleaned:
            _attach(proposal, document)
        if invitation is not None:
            invitation.state = InvitationState.ACCEPTED
            invitation.responded_at = now
            invitation.save(update_fields=["state", "responded_at"])
            event_emit(
                kind="invitation.accepted",
                payload={
                    "invitation_id": invitation.pk,
                    "job_id": job.pk,
                    "proposal_id": proposal.pk,
                },
            )
        JobPost.objects.filter(pk=job.pk).update(proposals_count=F("proposals_count") + 1)
        event_emit(
            kind="proposal.submitted",
            payload={
                "proposal_id": proposal.pk,
                "job_id": job.pk,
                "client_id": job.client_id,
                "freelancer_id": freelancer.pk,
                "connects": quote.cost,
            },
        )
    return proposal


def proposal_attachment_add(
    *, freelancer: User, proposal: Proposal, upload: UploadedFile
) -> ProposalAttachment:
    if proposal.freelancer_id != freelancer.pk:
        raise NotFound("No such proposal.")
    if not proposal.is_live:
        raise InvalidTransition("Attachments can only be added to a proposal still in play.")
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        [document] = _checked_uploads([upload], present=locked.attachments.count())
        _attach(locked, document)
        Proposal.objects.filter(pk=proposal.pk).update(updated_at=clock.now())
    return locked.attachments.order_by("-id")[0]


def proposal_withdraw(*, freelancer: User, proposal: Proposal) -> Proposal:
    """The freelancer takes the proposal back. The Connects spent on it are not refunded."""
    if proposal.freelancer_id != freelancer.pk:
        raise NotFound("No such proposal.")
    with transaction.atomic():
        return _move(proposal, ProposalState.WITHDRAWN)


def _client_may_act(client: User, proposal: Proposal) -> None:
    if proposal.job.client_id != client.pk:
        raise NotFound("No such proposal.")
    if not proposal.is_live:
        raise InvalidTransition(
            f"This proposal is {proposal.get_state_display().lower()}; nothing more can be done."
        )


def _toggle(client: User, proposal: Proposal, flag: str) -> Proposal:
    _client_may_act(client, proposal)
    with transaction.atomic():
        # The post's row before the proposal's, as accepting an offer locks them.
        job_touch(job=proposal.job)
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state not in LIVE_STATES:
            raise InvalidTransition("This proposal is no longer in play.")
        setattr(proposal, flag, not getattr(locked, flag))
        proposal.updated_at = clock.now()
        proposal.save(update_fields=[flag, "updated_at"])
    return proposal


def proposal_shortlist(*, client: User, proposal: Proposal) -> Proposal:
    """Put the proposal on the client's shortlist, or take it off."""
    return _toggle(client, proposal, "shortlisted")


def proposal_archive(*, client: User, proposal: Proposal) -> Proposal:
    """Move the proposal out of the client's way, or back. The freelancer is not told."""
    return _toggle(client, proposal, "archived")


def proposal_decline(*, client: User, proposal: Proposal, reason: str = "") -> Proposal:
    """Decline the proposal for good. The Connects are not refunded now, but are when the
    post closes without a hire, like everyone's."""
    _client_may_act(client, proposal)
    reason = reason.strip()
    if len(reason) > 1000:
        raise InvalidInput(
            "The reason is at most 1,000 characters.", field_errors={"reason": ["Too long."]}
        )
    with transaction.atomic():
        job_touch(job=proposal.job)  # the post's row before the proposal's (see _toggle)
        declined = _move(proposal, ProposalState.DECLINED, decline_reason=reason)
    return declined


def proposal_message(
    *,
    client: User,
    proposal: Proposal,
    body: str,
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    """The client writes to the freelancer about the proposal. The first message opens the
    interview: the conversation, the proposal becomes active and the freelancer now sees
    who the client is."""
    _client_may_act(client, proposal)
    with transaction.atomic():
        job_touch(job=proposal.job)  # the post's row before the proposal's (see _toggle)
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        conversation = conversation_open(
            topic=proposal.topic,
            title=f"{proposal.job.title} — {proposal.freelancer.public_name}",
            members=[client, proposal.freelancer],
        )
        if locked.interview_started_at is None:
            now = clock.now()
            if locked.state == ProposalState.SUBMITTED:
                _move(proposal, ProposalState.ACTIVE, interview_started_at=now)
            else:
                proposal.interview_started_at = now
                proposal.updated_at = now
                proposal.save(update_fields=["interview_started_at", "updated_at"])
            event_emit(
                kind="proposal.interview_started",
                payload={
                    "proposal_id": proposal.pk,
                    "job_id": proposal.job_id,
                    "conversation_id": conversation.pk,
                    "freelancer_id": proposal.freelancer_id,
                },
            )
        return message_send(
            conversation=conversation, sender=client, body=body, attachments=attachments
        )


def proposal_offer_made(*, proposal: Proposal) -> Proposal:
    """The client sent an offer on this proposal (contracts call this inside their
    transaction)."""
    return _move(proposal, ProposalState.OFFER)


def proposal_hired(*, proposal: Proposal) -> Proposal:
    """The freelancer accepted the offer made on this proposal."""
    return _move(proposal, ProposalState.HIRED)


def proposal_offer_ended(*, proposal: Proposal) -> Proposal:
    """The offer was withdrawn, declined or expired: the proposal is in play again. A
    proposal that already ended some other way (say its post closed) stays where it is."""
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state != ProposalState.OFFER:
        proposal.state = locked.state
        return proposal
    return _move(proposal, ProposalState.ACTIVE)


def proposals_job_closed(*, job: JobPost, refund: bool) -> int:
    """React to a post leaving the open state: proposals still in play end (archived when
    someone was hired, job closed otherwise), pending invitations lapse, and with `refund`
    every proposal's spend except a withdrawn one comes back. Safe to run twice: a refund
    happens at most once per spend. Returns the number of refunds made now.

    A client may keep the post open after hiring and close it later "without a hire" (or let
    it expire): someone was hired on it all the same, so it ends as a hired post, without
    refunds (SPEC §5). Only a removal by staff refunds after a hire, and never the hired
    proposal itself."""
    refunded = 0
    with transaction.atomic():
        proposals = list(Proposal.objects.select_for_update().filter(job=job).order_by("id"))
        hired = job.state == JobState.CLOSED_HIRED or any(
            proposal.state == ProposalState.HIRED for proposal in proposals
        )
        if job.state != JobState.REMOVED:
            refund = refund and not hired
        for proposal in proposals:
            if proposal.state in LIVE_STATES:
                proposal.job = job
                _move(proposal, ProposalState.ARCHIVED if hired else ProposalState.JOB_CLOSED)
            if (
                refund
                and proposal.connects_spend_id
                and proposal.state not in (ProposalState.WITHDRAWN, ProposalState.HIRED)
            ):
                spend = proposal.connects_spend
                assert spend is not None
                if not hasattr(spend, "refund"):
                    refunded += 1
                connects_refund(
                    spend=spend,
                    key=refund_key(proposal),
                    description=f"Refund: “{job.title[:150]}” closed without a hire",
                )
        for invitation in Invitation.objects.select_for_update().filter(
            job=job, state=InvitationState.PENDING
        ):
            invitation.state = InvitationState.JOB_CLOSED
            invitation.save(update_fields=["state"])
    return refunded


def invitation_send(*, client: User, job: JobPost, freelancer: User, message: str) -> Invitation:
    """Invite a freelancer to propose on an open post of the client's; the freelancer is
    told by email (an outbox event)."""
    if job.client_id != client.pk:
        raise NotFound("No such job post.")
    if job.state != JobState.OPEN:
        raise InvalidTransition("Invite freelancers to open posts only.")
    owner = Freelancer.objects.filter(user=freelancer, user__is_active=True).first()
    if owner is None or freelancer.pk == client.pk or not freelancer.is_freelancer:
        raise NotFound("No such freelancer.")
    if owner.visibility == Visibility.PRIVATE:
        raise Conflict("This freelancer's profile is private; they are not taking invitations.")
    text = message.strip()
    if not text or len(text) > 2000:
        raise InvalidInput(
            "Write a short message of up to 2,000 characters.",
            field_errors={"message": ["Required, at most 2,000 characters."]},
        )
    with transaction.atomic():
        JobPost.objects.select_for_update().get(pk=job.pk)
        if Proposal.objects.filter(job=job, freelancer=freelancer).exists():
            raise Conflict("This freelancer already sent a proposal for this job.")
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    job=job, freelancer=freelancer, message=text, created_at=clock.now()
                )
        except IntegrityError:
            raise Conflict("You already invited this freelancer to this job.") from None
        job_touch(job=job)
        event_emit(
            kind="invitation.sent",
            payload={
                "invitation_id": invitation.pk,
                "job_id": job.pk,
                "client_id": client.pk,
                "freelancer_id": freelancer.pk,
            },
        )
    return invitation


def invitation_accept(
    *,
    freelancer: User,
    invitation: Invitation,
    draft: ProposalDraft,
    attachments: Sequence[UploadedFile] = (),
) -> Proposal:
    """Answer an invitation with a proposal, which costs no Connects."""
    if invitation.freelancer_id != freelancer.pk:
        raise NotFound("No such invitation.")
    if not invitation.is_pending:
        raise InvalidTransition(
            f"This invitation is {invitation.get_state_display().lower()} already."
        )
    return proposal_submit(
        freelancer=freelancer, job=invitation.job, draft=draft, attachments=attachments
    )


def invitation_decline(
    *, freelancer: User, invitation: Invitation, reason: str, note: str = ""
) -> Invitation:
    if invitation.freelancer_id != freelancer.pk:
        raise NotFound("No such invitation.")
    errors: dict[str, list[str]] = {}
    if reason not in DeclineReason.values:
        errors["reason"] = ["Choose a reason."]
    if len(note.strip()) > 1000:
        errors["note"] = ["At most 1,000 characters."]
    if errors:
        raise InvalidInput("Say why you decline.", field_errors=errors)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.state != InvitationState.PENDING:
            raise InvalidTransition(
                f"This invitation is {locked.get_state_display().lower()} already."
            )
        invitation.state = InvitationState.DECLINED
        invitation.decline_reason = reason
        invitation.decline_note = note.strip()
        invitation.responded_at = clock.now()
        invitation.save(update_fields=["state", "decline_reason", "decline_note", "responded_at"])
        event_emit(
            kind="invitation.declined",
            payload={
                "invitation_id": invitation.pk,
                "job_id": invitation.job_id,
                "freelancer_id": freelancer.pk,
                "reason": reason,
            },
        )
    return invitation
