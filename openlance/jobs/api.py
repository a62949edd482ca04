from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import User
from openlance.catalog.models import Category, Skill
from openlance.catalog.selectors import catalog_ids
from openlance.core.apitools import (
    AMOUNT_PATTERN,
    MoneyIn,
    MoneyOut,
    OneOf,
    Page,
    PageQuery,
    StrictSchema,
    amount_pattern,
    cents_or_none,
    money_json_or_none,
    paginate,
    trusted_response,
)
from openlance.core.errors import InvalidInput
from openlance.jobs import selectors, services
from openlance.jobs.models import (
    BudgetType,
    Duration,
    ExperienceLevel,
    JobAttachment,
    JobPost,
    JobState,
    JobVisibility,
    ProjectSize,
)
from openlance.jobs.search import JobSearchParams, JobSort, search_jobs_data
from openlance.jobs.selectors import AttachmentData, JobData

router = Router(tags=["jobs"])

# The posts' choice fields: str to the code, an enum of the model's values in the document.
JobSize = Annotated[str, OneOf(ProjectSize)]
JobDuration = Annotated[str, OneOf(Duration)]
JobExperienceLevel = Annotated[str, OneOf(ExperienceLevel)]
JobBudgetType = Annotated[str, OneOf(BudgetType)]
JobVisibilityValue = Annotated[str, OneOf(JobVisibility)]
JobStateValue = Annotated[str, OneOf(JobState)]
# The draft checks these itself, with the post's other fields (see services.job_create).
DurationIn = Annotated[str, OneOf(Duration, checked_by_service=True)]
ExperienceLevelIn = Annotated[str, OneOf(ExperienceLevel, checked_by_service=True)]


class QuestionOut(Schema):
    position: int
    text: str


class JobAttachmentOut(Schema):
    id: int
    name: str
    size_bytes: int
    url: str


class JobOut(Schema):
    id: int
    client_id: int
    title: str
    description: str
    category: str
    skills: list[str]
    size: JobSize
    duration: JobDuration
    experience_level: JobExperienceLevel
    budget_type: JobBudgetType
    budget: MoneyOut | None
    hourly_min: MoneyOut | None
    hourly_max: MoneyOut | None
    countries: list[str] = Field(description="Empty means anyone may propose.")
    visibility: JobVisibilityValue
    state: JobStateValue
    proposals_count: int
    questions: list[QuestionOut]
    attachments: list[JobAttachmentOut]
    created_at: datetime
    published_at: datetime | None
    closed_at: datetime | None


class JobIn(StrictSchema):
    title: str = Field(max_length=120)
    description: str = Field(max_length=10_000)
    category: str = Field(description="Category slug, see /api/v1/categories.")
    skills: list[str] = Field(default_factory=list, description="Skill slugs, at most 15.")
    size: JobSize
    duration: DurationIn
    experience_level: ExperienceLevelIn
    budget_type: JobBudgetType
    budget: MoneyIn | None = None
    hourly_min: MoneyIn | None = None
    hourly_max: MoneyIn | None = None
    countries: list[str] = Field(default_factory=list, description='ISO codes, e.g. ["US"].')
    visibility: JobVisibilityValue = "public"
    questions: list[str] = Field(default_factory=list, max_length=5)

    def to_draft(self) -> services.JobDraft:
        def cents(money: MoneyIn | None) -> int | None:
            return None if money is None else money.to_money().cents

        return services.JobDraft(
            title=self.title,
            description=self.description,
            category_slug=self.category,
            skill_slugs=self.skills,
            size=self.size,
            duration=self.duration,
            experience_level=self.experience_level,
            budget_type=self.budget_type,
            budget_cents=cents(self.budget),
            hourly_min_cents=cents(self.hourly_min),
            hourly_max_cents=cents(self.hourly_max),
            countries=self.countries,
            visibility=self.visibility,
            questions=self.questions,
        )


class JobCreateIn(JobIn):
    publish: bool = Field(default=False, description="Publish now, or keep as a draft.")


class CloseIn(StrictSchema):
    hired: bool = Field(
        default=False,
        description="Only false: a post closes with a hire when a freelancer accepts an offer.",
    )


class MyJobsQuery(PageQuery):
    state: JobStateValue | None = None


def _attachment(attachment: JobAttachment) -> JobAttachmentOut:
    return JobAttachmentOut.model_validate(_attachment_json(AttachmentData.of(attachment)))


def _attachment_json(attachment: AttachmentData) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "name": attachment.name,
        "size_bytes": attachment.size_bytes,
        "url": attachment.url,
    }


def job_json(job: JobData) -> dict[str, Any]:
    """A post as the API shows it (a `JobOut`), as plain data for `trusted_response`."""
    return {
        "id": job.id,
        "client_id": job.client_id,
        "title": job.title,
        "description": job.description,
        "category": job.category_slug,
        "skills": job.skill_slugs,
        "size": job.size,
        "duration": job.duration,
        "experience_level": job.experience_level,
        "budget_type": job.budget_type,
        "budget": money_json_or_none(job.budget_cents),
        "hourly_min": money_json_or_none(job.hourly_min_cents),
        "hourly_max": money_json_or_none(job.hourly_max_cents),
        "countries": job.countries,
        "visibility": job.visibility,
        "state": job.state,
        "proposals_count": job.proposals_count,
        "questions": [{"position": position, "text": text} for position, text in job.questions],
        "attachments": [_attachment_json(attachment) for attachment in job.attachments],
        "created_at": job.created_at,
        "published_at": job.published_at,
        "closed_at": job.closed_at,
    }


def job_out(job: JobPost) -> JobOut:
    """A post as the API shows it (also to the job endpoint that lives with proposals), from
    a post loaded by `selectors.jobs_with_details`."""
    return JobOut.model_validate(job_json(JobData.of(job)))


def _fresh(job: JobPost) -> JobOut:
    return job_out(selectors.job_of_client(job_id=job.pk, client=job.client))


@router.get("/me/jobs", response=Page[JobOut], summary="Your job posts")
def my_jobs(request: HttpRequest, query: Query[MyJobsQuery]) -> dict[str, Any]:
    page = paginate(
        selectors.jobs_of_client(client=request_user(request), state=query.state), query
    )
    page["items"] = [job_out(job) for job in page["items"]]
    return page


@router.post("/jobs", response={201: JobOut}, summary="Post a job (or save a draft)")
def job_create(request: HttpRequest, payload: JobCreateIn) -> Status[JobOut]:
    job = services.job_create(
        client=request_user(request), draft=payload.to_draft(), publish=payload.publish
    )
    return Status(201, _fresh(job))


def _my_job(request: HttpRequest, job_id: int) -> JobPost:
    return selectors.job_of_client(job_id=job_id, client=request_user(request))


@router.put("/jobs/{job_id}", response=JobOut, summary="Edit a draft or open post")
@scope_first(_my_job)
def job_update(request: HttpRequest, job_id: int, payload: JobIn) -> JobOut:
    job = selectors.job_of_client(job_id=job_id, client=request_user(request))
    return _fresh(services.job_update(job=job, draft=payload.to_draft()))


@router.post("/jobs/{job_id}/publish", response=JobOut, summary="Publish a draft")
def job_publish(request: HttpRequest, job_id: int) -> JobOut:
    job = selectors.job_of_client(job_id=job_id, client=request_user(request))
    return _fresh(services.job_publish(job=job))


@router.post("/jobs/{job_id}/close", response=JobOut, summary="Close a post without a hire")
@scope_first(_my_job)
def job_close(request: HttpRequest, job_id: int, payload: CloseIn) -> JobOut:
    job = selectors.job_of_client(job_id=job_id, client=request_user(request))
    if payload.hired:
        raise InvalidInput(
            "A post closes with a hire when a freelancer accepts your offer.",
            field_errors={"hired": ["Send an offer instead; only false is accepted here."]},
        )
    return _fresh(services.job_close(job=job, hired=False))


@router.post(
    "/jobs/{job_id}/attachments", response={201: JobAttachmentOut}, summary="Attach a PDF or image"
)
@scope_first(_my_job)
def job_attach(
    request: HttpRequest, job_id: int, file: File[UploadedFile]
) -> Status[JobAttachmentOut]:
    job = selectors.job_of_client(job_id=job_id, client=request_user(request))
    return Status(201, _attachment(services.job_attachment_add(job=job, upload=file)))


@router.delete(
    "/jobs/{job_id}/attachments/{attachment_id}",
    response={204: None},
    summary="Remove an attachment",
)
def job_detach(request: HttpRequest, job_id: int, attachment_id: int) -> Status[None]:
    job = selectors.job_of_client(job_id=job_id, client=request_user(request))
    services.job_attachment_delete(job=job, attachment_id=attachment_id)
    return Status(204, None)


search_router = Router(tags=["search"])


class JobSearchQuery(Schema):
    q: str = Field(default="", max_length=200)
    category: list[str] = Field(default_factory=list, description="Category slugs; any.")
    skill: list[str] = Field(default_factory=list, description="Skill slugs; any.")
    budget_type: list[Annotated[str, OneOf(BudgetType, checked_by_service=True)]] = Field(
        default_factory=list
    )
    fixed_min: str | None = Field(default=None, pattern=AMOUNT_PATTERN)
    fixed_max: str | None = Field(default=None, pattern=AMOUNT_PATTERN)
    hourly_min: str | None = Field(default=None, pattern=amount_pattern(digits=6))
    hourly_max: str | None = Field(default=None, pattern=amount_pattern(digits=6))
    experience_level: list[ExperienceLevelIn] = Field(default_factory=list)
    duration: list[DurationIn] = Field(default_factory=list)
    client_country: list[str] = Field(default_factory=list)
    client_payment_verified: bool = False
    client_spent_min: str | None = Field(default=None, pattern=AMOUNT_PATTERN)
    posted_within_days: int | None = Field(default=None, ge=1, le=365)
    proposals: list[str] = Field(
        default_factory=list, description="0-4, 5-9, 10-14, 15-19, 20-49, 50+"
    )
    sort: Annotated[str, OneOf(JobSort)] = "relevance"
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=100)


class JobHitOut(Schema):
    job: JobOut
    teaser: str
    relevance: float | None
    can_propose_from_your_location: bool


class JobSearchOut(Schema):
    items: list[JobHitOut]
    count: int = Field(description="Results, counted up to 10,000 (see `count_exact`)")
    count_exact: bool = Field(
        description="False when there are more than `count` results; pages stop there"
    )
    page: int
    page_size: int
    pages: int


@search_router.get("/search/jobs", response=JobSearchOut, auth=None, summary="Find work")
def search_jobs_endpoint(request: HttpRequest, query: Query[JobSearchQuery]) -> HttpResponse:
    """Open public posts only; sorted by best match or newest."""
    params = JobSearchParams(
        text=query.q,
        category_ids=catalog_ids(Category, query.category, "category"),
        skill_ids=catalog_ids(Skill, query.skill, "skill"),
        budget_types=tuple(query.budget_type),
        fixed_min_cents=cents_or_none(query.fixed_min),
        fixed_max_cents=cents_or_none(query.fixed_max),
        hourly_min_cents=cents_or_none(query.hourly_min),
        hourly_max_cents=cents_or_none(query.hourly_max),
        experience_levels=tuple(query.experience_level),
        durations=tuple(query.duration),
        client_countries=tuple(code.upper() for code in query.client_country),
        client_payment_verified=query.client_payment_verified,
        client_spent_min_cents=cents_or_none(query.client_spent_min),
        posted_within_days=query.posted_within_days,
        proposals=tuple(query.proposals),
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
    )
    viewer = request.user if isinstance(request.user, User) else AnonymousUser()
    results = search_jobs_data(viewer=viewer, params=params)
    return trusted_response(
        {
            "items": [
                {
                    "job": job_json(hit.job),
                    "teaser": hit.teaser,
                    "relevance": hit.relevance,
                    "can_propose_from_your_location": hit.location_ok,
                }
                for hit in results.items
            ],
            "count": results.total,
            "count_exact": results.total_exact,
            "page": results.page,
            "page_size": results.page_size,
            "pages": results.num_pages,
        }
    )
