"""All writes to offers (SPEC §6 offers, §17 offer expiry).

A client sends an offer from a proposal or straight to a freelancer on one of their open
posts. Until the freelancer answers, the client may change it (each change raises the
revision, and only the current revision can be accepted, so nobody agrees to terms they did
not see) or withdraw it. Accepting starts the contract in the same transaction: the terms
are copied onto it with the fee policy in force now, and the post closes as hired unless the
client keeps it open for more hires. Unanswered offers expire 30 days after sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from openlance.accounts.models import User
from openlance.contracts.models import (
    MAX_MILESTONES,
    MAXIMUM_MILESTONE_CENTS,
    MINIMUM_FIXED_CENTS,
    OFFER_TRANSITIONS,
    AcceptanceCriterion,
    Contract,
    ContractKind,
    Milestone,
    Offer,
    OfferMilestone,
    OfferState,
    criteria_error,
    hourly_terms_errors,
    tidy_criteria,
)
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.policies import policy_version_at
from openlance.core.services import event_emit
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.services import job_close, job_hire_record, job_touch
from openlance.profiles.models import Freelancer
from openlance.proposals.models import Proposal, ProposalState
from openlance.proposals.services import (
    proposal_hired,
    proposal_offer_ended,
    proposal_offer_made,
)

EXPIRES_AFTER = timedelta(days=30)
MAX_TITLE = 120
MAX_TEXT = 5000
MAX_MILESTONE_DESCRIPTION = 500
# How far ahead a start or due date may be; further is almost always a typo.
MAX_DAYS_AHEAD = 730
OFFERABLE_PROPOSAL_STATES = (ProposalState.SUBMITTED, ProposalState.ACTIVE)


@dataclass
class MilestoneTerms:
    description: str
    amount_cents: int | None
    due_date: date | None = None
    criteria: list[str] = field(default_factory=list)


@dataclass
class OfferTerms:
    """What the client writes; validated as a whole."""

    kind: str
    title: str
    start_date: date | None
    description: str = ""
    milestones: list[MilestoneTerms] = field(default_factory=list)
    hourly_rate_cents: int | None = None
    weekly_limit_hours: int | None = None
    manual_time_allowed: bool = False
    keep_post_open: bool = False
    message: str = ""


def _checked_milestones(terms: OfferTerms, errors: dict[str, list[str]]) -> None:
    if not terms.milestones:
        errors["milestones"] = ["Add at least one milestone."]
        return
    if len(terms.milestones) > MAX_MILESTONES:
        errors["milestones"] = [f"At most {MAX_MILESTONES} milestones."]
        return
    latest = clock.now().date() + timedelta(days=MAX_DAYS_AHEAD)
    for index, milestone in enumerate(terms.milestones):
        name = f"milestones.{index}"
        if not milestone.description.strip():
            errors.setdefault(f"{name}.description", []).append("Describe the milestone.")
        elif len(milestone.description.strip()) > MAX_MILESTONE_DESCRIPTION:
            errors.setdefault(f"{name}.description", []).append(
                f"At most {MAX_MILESTONE_DESCRIPTION} characters."
            )
        if milestone.amount_cents is None or not (
            MINIMUM_FIXED_CENTS <= milestone.amount_cents <= MAXIMUM_MILESTONE_CENTS
        ):
            errors.setdefault(f"{name}.amount", []).append(
                "Each milestone is at least $5.00 and at most $1,000,000.00."
            )
        if milestone.due_date is not None:
            if terms.start_date is not None and milestone.due_date < terms.start_date:
                errors.setdefault(f"{name}.due_date", []).append(
                    "The due date cannot be before the start date."
                )
            elif milestone.due_date > latest:
                errors.setdefault(f"{name}.due_date", []).append("At most two years ahead.")
        problem = criteria_error(tidy_criteria(milestone.criteria))
        if problem:
            errors.setdefault(f"{name}.criteria", []).append(problem)


def _validated(terms: OfferTerms) -> OfferTerms:
    """Check the terms and return them tidied (text stripped, empty criteria dropped)."""
    errors: dict[str, list[str]] = {}
    title = terms.title.strip()
    if not title:
        errors["title"] = ["Give the contract a title."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    if len(terms.description) > MAX_TEXT:
        errors["description"] = ["At most 5,000 characters."]
    if len(terms.message) > MAX_TEXT:
        errors["message"] = ["At most 5,000 characters."]
    today = clock.now().date()
    if terms.start_date is None:
        errors["start_date"] = ["Choose a start date."]
    elif terms.start_date < today:
        errors["start_date"] = ["The start date cannot be in the past."]
    elif terms.start_date > today + timedelta(days=MAX_DAYS_AHEAD):
        errors["start_date"] = ["At most two years ahead."]
    if terms.kind == ContractKind.FIXED:
        _checked_milestones(terms, errors)
        if terms.hourly_rate_cents is not None or terms.weekly_limit_hours is not None:
            errors["hourly_rate"] = ["A fixed-price offer has no hourly terms."]
    elif terms.kind == ContractKind.HOURLY:
        if terms.milestones:
            errors["milestones"] = ["An hourly offer has no milestones."]
        errors.update(hourly_terms_errors(terms.hourly_rate_cents, terms.weekly_limit_hours))
    else:
        errors["kind"] = ["Choose fixed price or hourly."]
    if errors:
        raise InvalidInput("Check the offer's terms.", field_errors=errors)
    hourly = terms.kind == ContractKind.HOURLY
    return OfferTerms(
        kind=terms.kind,
        title=title,
        start_date=terms.start_date,
        description=terms.description.strip(),
        milestones=[
            MilestoneTerms(
                description=m.description.strip(),
                amount_cents=m.amount_cents,
                due_date=m.due_date,
                criteria=tidy_criteria(m.criteria),
            )
            for m in terms.milestones
        ],
        hourly_rate_cents=terms.hourly_rate_cents if hourly else None,
        weekly_limit_hours=terms.weekly_limit_hours if hourly else None,
        manual_time_allowed=terms.manual_time_allowed if hourly else False,
        keep_post_open=terms.keep_post_open,
        message=terms.message.strip(),
    )


def _write_terms(offer: Offer, terms: OfferTerms) -> None:
    offer.kind = terms.kind
    offer.title = terms.title
    offer.description = terms.description
    offer.hourly_rate_cents = terms.hourly_rate_cents
    offer.weekly_limit_hours = terms.weekly_limit_hours
    offer.manual_time_allowed = terms.manual_time_allowed
    assert terms.start_date is not None
    offer.start_date = terms.start_date
    offer.keep_post_open = terms.keep_post_open
    offer.message = terms.message
    offer.save()
    offer.milestones.all().delete()
    rows = []
    for position, m in enumerate(terms.milestones, start=1):
        assert m.amount_cents is not None
        rows.append(
            OfferMilestone(
                offer=offer,
                position=position,
                description=m.description,
                amount_cents=m.amount_cents,
                due_date=m.due_date,
                criteria=m.criteria,
            )
        )
    OfferMilestone.objects.bulk_create(rows)


def _event(kind: str, offer: Offer, **extra: object) -> None:
    event_emit(
        kind=kind,
        payload={
            "offer_id": offer.pk,
            "job_id": offer.job_id,
            "client_id": offer.client_id,
            "freelancer_id": offer.freelancer_id,
            "revision": offer.revision,
            **extra,
        },
    )


def offer_send(
    *,
    client: User,
    terms: OfferTerms,
    proposal: Proposal | None = None,
    job: JobPost | None = None,
    freelancer: User | None = None,
) -> Offer:
    """Send an offer: from a `proposal` (it moves to offer), or to a `freelancer` on `job`,
    one of the client's posts (a live proposal of theirs on it is linked and moved too)."""
    if proposal is not None:
        job, freelancer = proposal.job, proposal.freelancer
    if job is None or freelancer is None:
        raise InvalidInput("Choose the proposal, or the post and the freelancer.")
    if job.client_id != client.pk:
        raise NotFound("No such proposal." if proposal is not None else "No such job post.")
    if (
        freelancer.pk == client.pk
        or not freelancer.is_active
        or not Freelancer.objects.filter(user=freelancer).exists()
    ):
        raise NotFound("No such freelancer.")
    clean = _validated(terms)
    if job.state != JobState.OPEN:
        raise InvalidTransition(
            f"The post is {job.get_state_display().lower()}; offers go out on open posts."
        )
    now = clock.now()
    try:
        with transaction.atomic():
            if proposal is None:
                proposal = (
                    Proposal.objects.filter(
                        job=job, freelancer=freelancer, state__in=OFFERABLE_PROPOSAL_STATES
                    )
                    .select_for_update()
                    .first()
                )
            if Offer.objects.filter(
                job=job, freelancer=freelancer, state=OfferState.PENDING
            ).exists():
                raise Conflict("This freelancer already has a pending offer for this post.")
            if proposal is not None:
                if proposal.state not in OFFERABLE_PROPOSAL_STATES:
                    raise InvalidTransition(
                        f"This proposal is {proposal.get_state_display().lower()}; "
                        "an offer cannot be made on it."
                    )
                proposal_offer_made(proposal=proposal)
            offer = Offer(
                job=job,
                proposal=proposal,
                client=client,
                freelancer=freelancer,
                sent_at=now,
                expires_at=now + EXPIRES_AFTER,
            )
            _write_terms(offer, clean)
            job_touch(job=job)
            _event("offer.sent", offer)
    except IntegrityError:
        # Two sends raced past the check: the pending-offer constraint let one through.
        raise Conflict("This freelancer already has a pending offer for this post.") from None
    return offer


def _locked_pending(offer: Offer) -> Offer:
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.state != OfferState.PENDING:
        raise InvalidTransition(
            f"This offer is {locked.get_state_display().lower()}; it can no longer change."
        )
    return locked


def _move(offer: Offer, target: str, **extra: object) -> Offer:
    """Move a locked pending offer and put its proposal back in play when it did not lead
    to a hire."""
    assert target in OFFER_TRANSITIONS[offer.state]
    offer.state = target
    for name, value in extra.items():
        setattr(offer, name, value)
    offer.save()
    if offer.proposal_id is not None and target != OfferState.ACCEPTED:
        assert offer.proposal is not None
        proposal_offer_ended(proposal=offer.proposal)
    _event(f"offer.{target}", offer)
    return offer


def offer_change(*, client: User, offer: Offer, terms: OfferTerms) -> Offer:
    """Change a pending offer's terms; the revision goes up and the freelancer must accept
    the new one."""
    if offer.client_id != client.pk:
        raise NotFound("No such offer.")
    clean = _validated(terms)
    with transaction.atomic():
        locked = _locked_pending(offer)
        locked.revision += 1
        _write_terms(locked, clean)
        _event("offer.changed", locked)
    return locked


def offer_withdraw(*, client: User, offer: Offer) -> Offer:
    if offer.client_id != client.pk:
        raise NotFound("No such offer.")
    with transaction.atomic():
        return _move(_locked_pending(offer), OfferState.WITHDRAWN, responded_at=clock.now())


def offer_decline(*, freelancer: User, offer: Offer, reason: str = "") -> Offer:
    if offer.freelancer_id != freelancer.pk:
        raise NotFound("No such offer.")
    reason = reason.strip()
    if len(reason) > 1000:
        raise InvalidInput(
            "The reason is at most 1,000 characters.", field_errors={"reason": ["Too long."]}
        )
    with transaction.atomic():
        return _move(
            _locked_pending(offer),
            OfferState.DECLINED,
            responded_at=clock.now(),
            decline_reason=reason,
        )


def offer_accept(*, freelancer: User, offer: Offer, revision: int) -> Contract:
    """Accept the offer as it stands at `revision` and start the contract."""
    if offer.freelancer_id != freelancer.pk:
        raise NotFound("No such offer.")
    now = clock.now()
    with transaction.atomic():
        locked = _locked_pending(offer)
        if locked.revision != revision:
            raise Conflict(
                "The client changed this offer since you opened it; "
                "review the new terms and accept again."
            )
        if locked.expires_at <= now:
            raise InvalidTransition("This offer has expired.")
        job = JobPost.objects.select_for_update().get(pk=locked.job_id)
        # A post closed with a hire withdraws its other pending offers (offers_job_closed);
        # until that runs they are not accepted either.
        if job.state != JobState.OPEN:
            raise InvalidTransition(
                f"The post is {job.get_state_display().lower()}; the offer cannot be accepted."
            )
        proposal = None
        if locked.proposal_id is not None:
            proposal = Proposal.objects.select_for_update().get(pk=locked.proposal_id)
            if proposal.state != ProposalState.OFFER:
                raise Conflict(
                    f"The proposal behind this offer is {proposal.get_state_display().lower()}; "
                    "the offer cannot be accepted."
                )
        _move(locked, OfferState.ACCEPTED, responded_at=now)
        contract = Contract.objects.create(
            offer=locked,
            job=job,
            client_id=locked.client_id,
            freelancer_id=locked.freelancer_id,
            kind=locked.kind,
            title=locked.title,
            description=locked.description,
            hourly_rate_cents=locked.hourly_rate_cents,
            weekly_limit_hours=locked.weekly_limit_hours,
            manual_time_allowed=locked.manual_time_allowed,
            start_date=locked.start_date,
            fee_policy=policy_version_at("fees", now),
            started_at=now,
        )
        for terms in locked.milestones.all():
            milestone = Milestone.objects.create(
                contract=contract,
                position=terms.position,
                description=terms.description,
                amount_cents=terms.amount_cents,
                due_date=terms.due_date,
            )
            AcceptanceCriterion.objects.bulk_create(
                AcceptanceCriterion(milestone=milestone, position=position, text=text)
                for position, text in enumerate(terms.criteria, start=1)
            )
        if proposal is not None:
            proposal_hired(proposal=proposal)
        job_hire_record(job=job)
        if not locked.keep_post_open:
            job_close(job=job, hired=True)
        event_emit(
            kind="contract.started",
            payload={
                "contract_id": contract.pk,
                "offer_id": locked.pk,
                "job_id": job.pk,
                "client_id": contract.client_id,
                "freelancer_id": contract.freelancer_id,
                "kind": contract.kind,
            },
        )
    return contract


def offers_job_closed(*, job: JobPost) -> int:
    """The post closed (with a hire or without), expired or was removed: its pending offers
    are withdrawn. Safe to run twice. Returns how many were withdrawn now."""
    withdrawn = 0
    now = clock.now()
    pending = Offer.objects.filter(job=job, state=OfferState.PENDING).values_list("pk", flat=True)
    for offer_id in list(pending):
        with transaction.atomic():
            offer = Offer.objects.select_for_update().get(pk=offer_id)
            if offer.state == OfferState.PENDING:
                _move(offer, OfferState.WITHDRAWN, responded_at=now)
                withdrawn += 1
    return withdrawn


def offer_expiry_run_due(*, now: datetime) -> int:
    """Expire pending offers 30 days after sending; their proposals are active again.
    Safe to run twice: an expired offer is no longer pending. Returns how many expired."""
    expired = 0
    due = Offer.objects.filter(state=OfferState.PENDING, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for offer_id in list(due):
        with transaction.atomic():
            offer = Offer.objects.select_for_update().get(pk=offer_id)
            if offer.state != OfferState.PENDING or offer.expires_at > now:
                continue
            _move(offer, OfferState.EXPIRED, responded_at=now)
            expired += 1
    return expired
