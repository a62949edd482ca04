"""Job posts: writing, publishing, closing, staff removal and the 30-day expiry (SPEC §3).
Each state change is checked against one transition table and recorded as an event that
the Connects feature uses for refunds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django_countries import countries

from openlance.accounts.models import User
from openlance.accounts.services import audit_record
from openlance.catalog.models import Category, Skill
from openlance.catalog.selectors import skills_by_slugs
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.services import event_emit
from openlance.core.uploads import MEGABYTE, checked_attachment
from openlance.jobs.models import (
    MAX_ATTACHMENTS,
    MAX_SCREENING_QUESTIONS,
    MAX_SKILLS,
    BudgetType,
    Duration,
    ExperienceLevel,
    JobAttachment,
    JobPost,
    JobState,
    JobVisibility,
    ProjectSize,
    ScreeningQuestion,
)
from openlance.jobs.search import job_index_sync

EXPIRY_AFTER = timedelta(days=30)
WARNING_AFTER = timedelta(days=25)
MINIMUM_FIXED_CENTS = 500
MINIMUM_HOURLY_CENTS = 300
MAXIMUM_BUDGET_CENTS = 100_000_000

TRANSITIONS: dict[str, set[str]] = {
    JobState.DRAFT: {JobState.OPEN, JobState.REMOVED},
    JobState.OPEN: {
        JobState.CLOSED_HIRED,
        JobState.CLOSED_NO_HIRE,
        JobState.EXPIRED,
        JobState.REMOVED,
    },
    JobState.CLOSED_HIRED: {JobState.REMOVED},
    JobState.CLOSED_NO_HIRE: {JobState.REMOVED},
    JobState.EXPIRED: {JobState.REMOVED},
    JobState.REMOVED: set(),
}


@dataclass
class JobDraft:
    """Everything a client writes about a job; validated as a whole."""

    title: str
    description: str
    category_slug: str
    size: str
    duration: str
    experience_level: str
    budget_type: str
    budget_cents: int | None = None
    hourly_min_cents: int | None = None
    hourly_max_cents: int | None = None
    skill_slugs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    visibility: str = JobVisibility.PUBLIC
    questions: list[str] = field(default_factory=list)


def _validated(draft: JobDraft) -> tuple[Category, list[Skill], list[str], list[str]]:
    errors: dict[str, list[str]] = {}
    if not 5 <= len(draft.title.strip()) <= 120:
        errors["title"] = ["5 to 120 characters."]
    if not 50 <= len(draft.description.strip()) <= 10_000:
        errors["description"] = ["50 to 10,000 characters: say what you need done."]
    category = Category.objects.filter(slug=draft.category_slug).first()
    if category is None:
        errors["category"] = ["Choose a category."]
    for name, value, choices in (
        ("size", draft.size, ProjectSize.values),
        ("duration", draft.duration, Duration.values),
        ("experience_level", draft.experience_level, ExperienceLevel.values),
        ("visibility", draft.visibility, JobVisibility.values),
        ("budget_type", draft.budget_type, BudgetType.values),
    ):
        if value not in choices:
            errors[name] = ["Choose one of the options."]
    if draft.budget_type == BudgetType.FIXED:
        if (
            draft.budget_cents is None
            or not MINIMUM_FIXED_CENTS <= draft.budget_cents <= MAXIMUM_BUDGET_CENTS
        ):
            errors["budget"] = ["A fixed budget of at least $5.00."]
        if draft.hourly_min_cents is not None or draft.hourly_max_cents is not None:
            errors["hourly_rate"] = ["A fixed-price job has no hourly range."]
    elif draft.budget_type == BudgetType.HOURLY:
        low, high = draft.hourly_min_cents, draft.hourly_max_cents
        if low is None or high is None or low < MINIMUM_HOURLY_CENTS or high > MAXIMUM_BUDGET_CENTS:
            errors["hourly_rate"] = ["An hourly range starting at $3.00 or more."]
        elif high < low:
            errors["hourly_rate"] = ["The top of the range is below its bottom."]
        if draft.budget_cents is not None:
            errors["budget"] = ["An hourly job has no fixed budget."]
    slugs = list(dict.fromkeys(draft.skill_slugs))
    skills = skills_by_slugs(slugs)
    if len(slugs) > MAX_SKILLS:
        errors["skills"] = [f"At most {MAX_SKILLS} skills."]
    elif len(skills) != len(slugs):
        errors["skills"] = ["Pick skills from the list."]
    codes = list(dict.fromkeys(code.strip().upper() for code in draft.countries if code.strip()))
    if any(code not in dict(countries) for code in codes):
        errors["countries"] = ["Pick countries from the list."]
    questions = [q.strip() for q in draft.questions if q.strip()]
    if len(questions) > MAX_SCREENING_QUESTIONS:
        errors["questions"] = [f"At most {MAX_SCREENING_QUESTIONS} screening questions."]
    elif any(len(q) > 500 for q in questions):
        errors["questions"] = ["Each question is at most 500 characters."]
    if errors:
        raise InvalidInput("The job post has problems; see the fields.", field_errors=errors)
    assert category is not None
    return category, skills, codes, questions


# What an edit writes: the client's text and terms, and the activity that restarts the
# expiry clock. Everything else on the row (state, proposal count, hires) belongs to other
# writers and is never saved from an edit.
DRAFT_FIELDS = (
    "title",
    "description",
    "category",
    "size",
    "duration",
    "experience_level",
    "budget_type",
    "budget_cents",
    "hourly_min_cents",
    "hourly_max_cents",
    "countries",
    "visibility",
)
ACTIVITY_FIELDS = ("last_client_activity_at", "expiry_warned_at")


def _copy(source: JobPost, target: JobPost, names: Iterable[str]) -> None:
    for name in names:
        setattr(target, name, getattr(source, name))


def _write(job: JobPost, draft: JobDraft) -> JobPost:
    category, skills, codes, questions = _validated(draft)
    job.title = draft.title.strip()
    job.description = draft.description.strip()
    job.category = category
    job.size = draft.size
    job.duration = draft.duration
    job.experience_level = draft.experience_level
    job.budget_type = draft.budget_type
    job.budget_cents = draft.budget_cents if draft.budget_type == BudgetType.FIXED else None
    job.hourly_min_cents = (
        draft.hourly_min_cents if draft.budget_type == BudgetType.HOURLY else None
    )
    job.hourly_max_cents = (
        draft.hourly_max_cents if draft.budget_type == BudgetType.HOURLY else None
    )
    job.countries = codes
    job.visibility = draft.visibility
    _record_activity(job)
    if job.pk is None:
        job.save()
    else:
        job.save(update_fields=[*DRAFT_FIELDS, *ACTIVITY_FIELDS])
    job.skills.set(skills)
    job.questions.all().delete()
    ScreeningQuestion.objects.bulk_create(
        ScreeningQuestion(job=job, position=n, text=text) for n, text in enumerate(questions, 1)
    )
    job_index_sync(job=job)
    return job


def _record_activity(job: JobPost) -> None:
    # Activity restarts the 30 days, so the day-25 warning is owed again (SPEC §17).
    job.last_client_activity_at = clock.now()
    job.expiry_warned_at = None


def job_create(*, client: User, draft: JobDraft, publish: bool) -> JobPost:
    if not client.is_client:
        raise InvalidInput("Switch on the client role to post jobs.")
    now = clock.now()
    with transaction.atomic():
        job = _write(JobPost(client=client, created_at=now, last_client_activity_at=now), draft)
        if publish:
            _move(job, JobState.OPEN)
    return job


def job_update(*, job: JobPost, draft: JobDraft) -> JobPost:
    """Edit a draft or open post. The rules are checked on the row as it is now, not as the
    caller loaded it: the post may have expired, been removed or got proposals since."""
    with transaction.atomic():
        locked = JobPost.objects.select_for_update().get(pk=job.pk)
        if locked.state not in (JobState.DRAFT, JobState.OPEN):
            raise InvalidTransition("Only drafts and open posts can be edited.")
        if locked.state == JobState.OPEN and locked.questions.exists() and locked.proposals_count:
            asked = list(locked.questions.values_list("text", flat=True))
            if [q.strip() for q in draft.questions if q.strip()] != asked:
                raise Conflict(
                    "Screening questions cannot change once proposals have answered them."
                )
        _write(locked, draft)
    _copy(locked, job, (*DRAFT_FIELDS, *ACTIVITY_FIELDS, "state", "proposals_count"))
    return job


def _move(job: JobPost, target: str, **extra: object) -> JobPost:
    locked = JobPost.objects.select_for_update().get(pk=job.pk)
    if target in (JobState.CLOSED_NO_HIRE, JobState.EXPIRED) and locked.hires_count:
        # Kept open after a hire and closed or expired later: someone was hired on it all
        # the same, so it ends as a hired post and nobody's Connects come back (SPEC §5).
        target = JobState.CLOSED_HIRED
    if target not in TRANSITIONS[locked.state]:
        raise InvalidTransition(
            f"A post that is {locked.get_state_display().lower()} cannot become "
            f"{JobState(target).label.lower()}."
        )
    now = clock.now()
    previous = locked.state
    locked.state = target
    moved = ["state", *extra]
    if target == JobState.OPEN:
        locked.published_at = now
        _record_activity(locked)
        moved += ["published_at", *ACTIVITY_FIELDS]
    elif target in (
        JobState.CLOSED_HIRED,
        JobState.CLOSED_NO_HIRE,
        JobState.EXPIRED,
        JobState.REMOVED,
    ):
        locked.closed_at = now
        moved.append("closed_at")
    for name, value in extra.items():
        setattr(locked, name, value)
    locked.save(update_fields=moved)
    _copy(locked, job, [*moved, "proposals_count", "hires_count"])
    job_index_sync(job=locked)
    event_emit(
        kind=f"job.{target}",
        payload={"job_id": job.pk, "client_id": job.client_id, "from": previous, "to": target},
    )
    return job


def job_publish(*, job: JobPost) -> JobPost:
    with transaction.atomic():
        return _move(job, JobState.OPEN)


def job_close(*, job: JobPost, hired: bool) -> JobPost:
    """The client closes the post: with a hire, or without one (Connects come back then,
    unless someone was hired on the post while it stayed open)."""
    with transaction.atomic():
        return _move(job, JobState.CLOSED_HIRED if hired else JobState.CLOSED_NO_HIRE)


def job_remove(*, job: JobPost, staff: User, reason: str) -> JobPost:
    """Staff take a post down for a terms violation; the Connects spent on it are refunded."""
    if not staff.is_staff:
        raise NotFound("No such job post.")
    if not reason.strip():
        raise InvalidInput("Give the reason for removal.", field_errors={"reason": ["Required."]})
    with transaction.atomic():
        removed = _move(job, JobState.REMOVED, removal_reason=reason.strip())
        audit_record(
            actor=staff, action="job.remove", target=removed, detail={"reason": reason.strip()}
        )
    return removed


def job_hire_record(*, job: JobPost) -> None:
    """Someone was hired on the post (an offer on it was accepted). Call inside the
    acceptance's transaction, so a post kept open for more hires later closes as hired."""
    JobPost.objects.filter(pk=job.pk).update(hires_count=F("hires_count") + 1)
    job.refresh_from_db(fields=["hires_count"])


def job_touch(*, job: JobPost) -> None:
    """Client activity on a post (a message, a shortlist) keeps it from expiring."""
    now = clock.now()
    JobPost.objects.filter(pk=job.pk).update(last_client_activity_at=now, expiry_warned_at=None)
    job.last_client_activity_at = now
    job.expiry_warned_at = None


def _lock_changeable(job: JobPost, refusal: str) -> None:
    state = JobPost.objects.select_for_update().values_list("state", flat=True).get(pk=job.pk)
    if state not in (JobState.DRAFT, JobState.OPEN):
        raise InvalidTransition(refusal)


def job_attachment_add(*, job: JobPost, upload: UploadedFile) -> JobAttachment:
    with transaction.atomic():
        _lock_changeable(job, "Attachments can only be added to drafts and open posts.")
        document = checked_attachment(upload, field="attachment", max_bytes=25 * MEGABYTE)
        if job.attachments.count() >= MAX_ATTACHMENTS:
            raise Conflict(f"A post has at most {MAX_ATTACHMENTS} attachments.")
        attachment = JobAttachment(
            job=job,
            name=document.name,
            size_bytes=document.size,
            content_type=document.content_type,
            uploaded_at=clock.now(),
        )
        attachment.file.save(f"job-{job.pk}-{document.content.name}", document.content, save=False)
        attachment.save()
        job_touch(job=job)
    return attachment


def job_attachment_delete(*, job: JobPost, attachment_id: int) -> None:
    with transaction.atomic():
        # A closed or removed post keeps its files: they are what proposals were written
        # against, and for a removed post the evidence of why it was removed.
        _lock_changeable(job, "Attachments can only be removed from drafts and open posts.")
        attachment = job.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound("No such attachment.")
        attachment.delete()
        attachment.file.delete(save=False)


def job_expiry_run_due(*, now: datetime) -> dict[str, int]:
    """Warn on day 25 and expire on day 30 without client activity. Safe to run twice:
    a warned post is not warned again, an expired one is no longer open."""
    warned = expired = 0
    due_to_expire = JobPost.objects.filter(
        state=JobState.OPEN, last_client_activity_at__lte=now - EXPIRY_AFTER
    ).values_list("pk", flat=True)
    for job_id in list(due_to_expire):
        with transaction.atomic():
            job = JobPost.objects.select_for_update().get(pk=job_id)
            if job.state != JobState.OPEN or job.last_client_activity_at > now - EXPIRY_AFTER:
                continue
            _move(job, JobState.EXPIRED)
            expired += 1
    due_to_warn = JobPost.objects.filter(
        state=JobState.OPEN,
        expiry_warned_at__isnull=True,
        last_client_activity_at__lte=now - WARNING_AFTER,
    ).values_list("pk", flat=True)
    for job_id in list(due_to_warn):
        with transaction.atomic():
            updated = JobPost.objects.filter(
                pk=job_id, state=JobState.OPEN, expiry_warned_at__isnull=True
            ).update(expiry_warned_at=now)
            if updated:
                job = JobPost.objects.get(pk=job_id)
                event_emit(
                    kind="job.expiry_warning",
                    payload={
                        "job_id": job.pk,
                        "client_id": job.client_id,
                        "expires_at": (job.last_client_activity_at + EXPIRY_AFTER).isoformat(),
                    },
                )
                warned += 1
    return {"warned": warned, "expired": expired}
