"""Reads of proposals and invitations, always scoped to the person asking: a freelancer sees
their own, a client the ones sent to their posts; anything else is a 404."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.errors import NotFound, require_id
from openlance.core.policies import ranking_policy_at
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.selectors import (
    JobData,
    job_data_visible,
    jobs_visible_to,
    jobs_with_details,
)
from openlance.profiles.search import quality_sql
from openlance.proposals.models import (
    LIVE_STATES,
    Invitation,
    InvitationState,
    Proposal,
    ProposalState,
)

CLIENT_TABS = ("all", "shortlisted", "messaged", "hired", "archived")
# Response time is judged on recent behaviour: the last this-many answered invitations.
RESPONSE_TIME_SAMPLE = 50


def proposals_with_details() -> QuerySet[Proposal]:
    return Proposal.objects.select_related(
        "job",
        "job__client",
        "job__client__client_profile",
        "freelancer",
        "freelancer__freelancer",
        "profile",
        "invitation",
        "connects_spend",
    ).prefetch_related("milestones", "answers", "attachments", "profile__skills")


def proposal_hire_rate(*, freelancer: User) -> tuple[int, int]:
    """(hires, proposals sent) of a freelancer. A proposal counts as a hire once it reached
    the hired state; offers are not hires yet (they may be declined or withdrawn)."""
    counts = Proposal.objects.filter(freelancer=freelancer).aggregate(
        sent=Count("id"), hires=Count("id", filter=Q(state=ProposalState.HIRED))
    )
    return int(counts["hires"]), int(counts["sent"])


def invitation_for(*, job: JobPost, freelancer: User) -> Invitation | None:
    """The freelancer's pending invitation to this post: replying to it is free."""
    return Invitation.objects.filter(
        job=job, freelancer=freelancer, state=InvitationState.PENDING
    ).first()


def proposal_of(*, job: JobPost, freelancer: User) -> Proposal | None:
    return Proposal.objects.filter(job=job, freelancer=freelancer).first()


def proposals_of_freelancer(*, freelancer: User, state: str | None = None) -> QuerySet[Proposal]:
    proposals = proposals_with_details().filter(freelancer=freelancer)
    return proposals.filter(state=state) if state else proposals


def proposal_counts_by_state(*, freelancer: User) -> dict[str, int]:
    rows = (
        Proposal.objects.filter(freelancer=freelancer)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["state"]: row["n"] for row in rows}


def proposal_of_freelancer(*, proposal_id: int, freelancer: User) -> Proposal:
    require_id(proposal_id, "proposal")
    proposal = proposals_with_details().filter(pk=proposal_id, freelancer=freelancer).first()
    if proposal is None:
        raise NotFound("No such proposal.")
    return proposal


def proposal_of_client(*, proposal_id: int, client: User) -> Proposal:
    """A proposal sent to one of the client's posts."""
    require_id(proposal_id, "proposal")
    proposal = proposals_with_details().filter(pk=proposal_id, job__client=client).first()
    if proposal is None:
        raise NotFound("No such proposal.")
    return proposal


def proposal_for_viewer(*, proposal_id: int, viewer: User) -> Proposal:
    """A proposal its freelancer or the post's client may open."""
    require_id(proposal_id, "proposal")
    proposal = (
        proposals_with_details()
        .filter(Q(freelancer=viewer) | Q(job__client=viewer), pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise NotFound("No such proposal.")
    return proposal


def proposals_for_job(*, job: JobPost, tab: str = "all") -> QuerySet[Proposal]:
    """The client's view of a post's proposals, best match first.

    Best match orders by three keys, each breaking the ties of the one before:
    1. quality of the freelancer under the ranking policy in force, as in talent search
       (SPEC §4.1), so new freelancers without a score are not buried;
    2. how many of the post's skills the chosen profile lists;
    3. who proposed first.
    Hired ones have their own tab; withdrawn proposals and the ones the client archived or
    declined sit in `archived`.
    """
    if tab not in CLIENT_TABS:
        raise NotFound("No such tab.")
    skill_ids = list(job.skills.values_list("pk", flat=True))
    policy = ranking_policy_at(clock.now())
    proposals = (
        proposals_with_details()
        .filter(job=job)
        .annotate(
            # The chosen profile keeps a copy of its freelancer's score (see Profile).
            quality=quality_sql(policy, "profile__jss_percent"),
            skill_overlap=Count(
                "profile__skills", filter=Q(profile__skills__in=skill_ids), distinct=True
            ),
        )
        .order_by("-quality", "-skill_overlap", "created_at", "id")
    )
    live = Q(state__in=LIVE_STATES, archived=False)
    if tab == "all":
        return proposals.filter(live)
    if tab == "shortlisted":
        return proposals.filter(live, shortlisted=True)
    if tab == "messaged":
        return proposals.filter(live, interview_started_at__isnull=False)
    hired = Q(state=ProposalState.HIRED)
    if tab == "hired":
        return proposals.filter(hired)
    return proposals.exclude(live).exclude(hired)


def proposal_tab_counts(*, job: JobPost) -> dict[str, int]:
    live = Q(state__in=LIVE_STATES, archived=False)
    counts = Proposal.objects.filter(job=job).aggregate(
        all=Count("id", filter=live),
        shortlisted=Count("id", filter=live & Q(shortlisted=True)),
        messaged=Count("id", filter=live & Q(interview_started_at__isnull=False)),
        hired=Count("id", filter=Q(state=ProposalState.HIRED)),
        archived=Count("id", filter=~live & ~Q(state=ProposalState.HIRED)),
    )
    return {tab: int(counts[tab]) for tab in CLIENT_TABS}


def invitations_with_details() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("job", "job__client", "freelancer")


def invitations_of_freelancer(
    *, freelancer: User, state: str | None = None
) -> QuerySet[Invitation]:
    invitations = invitations_with_details().filter(freelancer=freelancer)
    return invitations.filter(state=state) if state else invitations


def invitation_of_freelancer(*, invitation_id: int, freelancer: User) -> Invitation:
    require_id(invitation_id, "invitation")
    invitation = invitations_with_details().filter(pk=invitation_id, freelancer=freelancer).first()
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def proposal_ids_by_invitation(*, invitations: Iterable[Invitation]) -> dict[int, int]:
    """The proposal that answered each invitation, by invitation id, in one query."""
    return dict(
        Proposal.objects.filter(invitation__in=[i.pk for i in invitations]).values_list(
            "invitation_id", "pk"
        )
    )


def invitations_of_job(*, job: JobPost) -> QuerySet[Invitation]:
    return invitations_with_details().filter(job=job)


def invitation_response_time(*, freelancer: User) -> timedelta | None:
    """Median time the freelancer took to accept or decline their recent invitations; None
    before they answered any. The median, not the mean: one invitation left for a month
    while on holiday should not define someone who usually answers within the hour."""
    answered = (
        Invitation.objects.filter(
            freelancer=freelancer,
            state__in=(InvitationState.ACCEPTED, InvitationState.DECLINED),
            responded_at__isnull=False,
        )
        .order_by("-responded_at")
        .values_list("created_at", "responded_at")[:RESPONSE_TIME_SAMPLE]
    )
    waits = [
        (responded - created).total_seconds()
        for created, responded in answered
        if responded is not None
    ]
    if not waits:
        return None
    return timedelta(seconds=round(statistics.median(waits)))


def _invited_job(*, job_id: int, viewer: User | AnonymousUser) -> JobPost | None:
    """An invite-only (or any published) post the viewer was invited to."""
    if not viewer.is_authenticated:
        return None
    return (
        jobs_with_details()
        .filter(pk=job_id, invitations__freelancer_id=viewer.pk)
        .exclude(state__in=(JobState.DRAFT, JobState.REMOVED))
        .first()
    )


def job_for_freelancer(*, job_id: int, viewer: User | AnonymousUser) -> JobPost:
    """A post as `jobs.selectors.job_get` shows it, and besides an invite-only post to a
    freelancer invited to it."""
    require_id(job_id, "job post")
    job = jobs_visible_to(viewer=viewer).filter(pk=job_id).first()
    job = job or _invited_job(job_id=job_id, viewer=viewer)
    if job is None:
        raise NotFound("No such job post.")
    return job


def job_data_for_freelancer(*, job_id: int, viewer: User | AnonymousUser) -> JobData:
    """`job_for_freelancer` as plain data (the API's post): prepared reads for a post the
    viewer may open anyway, the invitation checked only when they may not."""
    require_id(job_id, "job post")
    visible = job_data_visible(job_id=job_id, viewer=viewer)
    if visible is not None:
        return visible
    invited = _invited_job(job_id=job_id, viewer=viewer)
    if invited is None:
        raise NotFound("No such job post.")
    return JobData.of(invited)


def open_jobs_of_client(*, client: User) -> QuerySet[JobPost]:
    """The posts a client can invite freelancers to."""
    return JobPost.objects.filter(client=client, state=JobState.OPEN).order_by(
        "-published_at", "-id"
    )
