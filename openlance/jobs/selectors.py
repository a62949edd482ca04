from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import BigIntegerField, Q, QuerySet

from openlance.accounts.models import User
from openlance.catalog.selectors import skill_tags_of
from openlance.core.errors import NotFound
from openlance.core.prepared import PreparedRead, Slot, SlotKeys
from openlance.jobs.models import JobAttachment, JobPost, JobState, JobVisibility, ScreeningQuestion

PUBLICLY_LISTED_STATES = (
    JobState.OPEN,
    JobState.CLOSED_HIRED,
    JobState.CLOSED_NO_HIRE,
    JobState.EXPIRED,
)
_PUBLIC = Q(visibility=JobVisibility.PUBLIC, state__in=PUBLICLY_LISTED_STATES)


def jobs_with_details() -> QuerySet[JobPost]:
    return JobPost.objects.select_related("client", "category").prefetch_related(
        "skills", "questions", "attachments"
    )


def jobs_visible_to(*, viewer: User | AnonymousUser) -> QuerySet[JobPost]:
    """Posts a person may open: their own in any state; others' public posts once published
    (a closed one still answers its link, saying it is closed). Drafts, invite-only posts
    and removed posts of others do not exist for them."""
    visible = _PUBLIC
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


def _visible_job(visible: Q) -> PreparedRead:
    return PreparedRead(
        lambda: JobPost.objects.filter(visible, pk=Slot("job_id", BigIntegerField())).values_list(
            "pk"
        )[:1]
    )


_PUBLIC_JOB = _visible_job(_PUBLIC)
_PUBLIC_OR_OWN_JOB = _visible_job(_PUBLIC | Q(client_id=Slot("viewer_id", BigIntegerField())))
_ANY_JOB = _visible_job(Q())


def job_data_visible(*, job_id: int, viewer: User | AnonymousUser) -> JobData | None:
    """The post `job_get` would give `viewer`, as plain data (the API's post), or None:
    prepared reads, one to check and four to read."""
    if not viewer.is_authenticated:
        found = _PUBLIC_JOB.rows(job_id=job_id)
    elif viewer.is_staff:
        found = _ANY_JOB.rows(job_id=job_id)
    else:
        found = _PUBLIC_OR_OWN_JOB.rows(job_id=job_id, viewer_id=viewer.pk)
    return job_data_of([job_id]).get(job_id) if found else None


def job_of_client(*, job_id: int, client: User) -> JobPost:
    """A post its client may change; anyone else's is a 404."""
    job = jobs_with_details().filter(pk=job_id, client=client).first()
    if job is None:
        raise NotFound("No such job post.")
    return job


def jobs_of_client(*, client: User, state: str | None = None) -> QuerySet[JobPost]:
    jobs = jobs_with_details().filter(client=client).order_by("-created_at", "-id")
    return jobs.filter(state=state) if state else jobs


@dataclass(frozen=True)
class AttachmentData:
    id: int
    name: str
    size_bytes: int
    url: str

    @classmethod
    def of(cls, attachment: JobAttachment) -> AttachmentData:
        return _attachment_data(
            attachment.pk, attachment.name, attachment.size_bytes, attachment.file.name
        )


@dataclass(frozen=True)
class JobData:
    """A post whole (its skills, questions and attachments), as plain data: what the API
    writes out. `job_data_of` reads a page of them without a model instance a row."""

    id: int
    client_id: int
    title: str
    description: str
    category_slug: str
    skill_slugs: list[str]
    size: str
    duration: str
    experience_level: str
    budget_type: str
    budget_cents: int | None
    hourly_min_cents: int | None
    hourly_max_cents: int | None
    countries: list[str]  # ISO codes; empty: anyone may propose
    visibility: str
    state: str
    proposals_count: int
    questions: list[tuple[int, str]]  # (position, text)
    attachments: list[AttachmentData]
    created_at: datetime
    published_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, job: JobPost) -> JobData:
        """From a post loaded by `jobs_with_details` (category, skills, questions and
        attachments with it)."""
        return cls(
            id=job.pk,
            client_id=job.client_id,
            title=job.title,
            description=job.description,
            category_slug=job.category.slug,
            skill_slugs=[skill.slug for skill in job.skills.all()],
            size=job.size,
            duration=job.duration,
            experience_level=job.experience_level,
            budget_type=job.budget_type,
            budget_cents=job.budget_cents,
            hourly_min_cents=job.hourly_min_cents,
            hourly_max_cents=job.hourly_max_cents,
            countries=[country.code for country in job.countries],
            visibility=job.visibility,
            state=job.state,
            proposals_count=job.proposals_count,
            questions=[(q.position, q.text) for q in job.questions.all()],
            attachments=[AttachmentData.of(a) for a in job.attachments.all()],
            created_at=job.created_at,
            published_at=job.published_at,
            closed_at=job.closed_at,
        )


_ATTACHMENT_FILE = JobAttachment._meta.get_field("file")


def _attachment_data(pk: int, name: str, size_bytes: int, file_name: str) -> AttachmentData:
    return AttachmentData(
        id=pk, name=name, size_bytes=size_bytes, url=_ATTACHMENT_FILE.storage.url(file_name)
    )


_JOB_COLUMNS = (
    "id",
    "client_id",
    "title",
    "description",
    "size",
    "duration",
    "experience_level",
    "budget_type",
    "budget_cents",
    "hourly_min_cents",
    "hourly_max_cents",
    "visibility",
    "state",
    "proposals_count",
    "created_at",
    "published_at",
    "closed_at",
)


_JOB_ROWS = PreparedRead(
    lambda: JobPost.objects.filter(pk__in=SlotKeys("keys")).values_list(
        *_JOB_COLUMNS, "countries", "category__slug"
    )
)
_QUESTION_ROWS = PreparedRead(
    lambda: ScreeningQuestion.objects.filter(job_id__in=SlotKeys("keys")).values_list(
        "job_id", "position", "text"
    )
)
_ATTACHMENT_ROWS = PreparedRead(
    lambda: JobAttachment.objects.filter(job_id__in=SlotKeys("keys")).values_list(
        "job_id", "pk", "name", "size_bytes", "file"
    )
)


def job_data_of(keys: list[int]) -> dict[int, JobData]:
    """The posts of `keys` whole, as plain data, in four prepared queries whatever their
    number (the posts with their category, skills, questions, attachments): for a page of
    search results and the API's post, where model instances, prefetches and compiling the
    queries cost more than the search."""
    skills = skill_tags_of(JobPost.skills.through, "jobpost_id", keys)
    questions: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for job_id, position, text in _QUESTION_ROWS.rows(keys=keys):
        questions[job_id].append((position, text))
    attachments: defaultdict[int, list[AttachmentData]] = defaultdict(list)
    for job_id, *attachment in _ATTACHMENT_ROWS.rows(keys=keys):
        attachments[job_id].append(_attachment_data(*attachment))
    found = {}
    for *columns, countries, category_slug in _JOB_ROWS.rows(keys=keys):
        row = dict(zip(_JOB_COLUMNS, columns, strict=True))
        found[row["id"]] = JobData(
            **row,
            category_slug=category_slug,
            skill_slugs=[tag.slug for tag in skills[row["id"]]],
            countries=countries.split(",") if countries else [],
            questions=questions[row["id"]],
            attachments=attachments[row["id"]],
        )
    return found
