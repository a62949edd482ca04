from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from openlance.accounts.models import User
from openlance.core.errors import NotFound
from openlance.jobs.models import JobPost, JobState, JobVisibility

PUBLICLY_LISTED_STATES = (
    JobState.OPEN,
    JobState.CLOSED_HIRED,
    JobState.CLOSED_NO_HIRE,
    JobState.EXPIRED,
)


def jobs_with_details() -> QuerySet[JobPost]:
    return JobPost.objects.select_related("client", "category").prefetch_related(
        "skills", "questions", "attachments"
    )


def jobs_visible_to(*, viewer: User | AnonymousUser) -> QuerySet[JobPost]:
    """Posts a person may open: their own in any state; others' public posts once published
    (a closed one still answers its link, saying it is closed). Drafts, invite-only posts
    and removed posts of others do not exist for them."""
    visible = Q(visibility=JobVisibility.PUBLIC, state__in=PUBLICLY_LISTED_STATES)
    if viewer.is_authenticated:
        visible |= Q(client_id=viewer.pk)
        if viewer.is_staff:
            visible = Q()
    return jobs_with_details().filter(visible)


def job_get(*, job_id: int, viewer: User | AnonymousUser) -> JobPost:
    job = jobs_visible_to(viewer=viewer).filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such job post.")
    return job


def job_of_client(*, job_id: int, client: User) -> JobPost:
    """A post its client may change; anyone else's is a 404."""
    job = jobs_with_details().filter(pk=job_id, client=client).first()
    if job is None:
        raise NotFound("No such job post.")
    return job


def jobs_of_client(*, client: User, state: str | None = None) -> QuerySet[JobPost]:
    jobs = jobs_with_details().filter(client=client).order_by("-created_at", "-id")
    return jobs.filter(state=state) if state else jobs
