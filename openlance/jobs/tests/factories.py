"""Job posts written directly (no services) with `clock.now()` timestamps, and indexed for
search like the services do."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.apps import apps

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user
from openlance.catalog.models import Category, Skill
from openlance.core import clock
from openlance.jobs.models import (
    BudgetType,
    Duration,
    ExperienceLevel,
    JobPost,
    JobState,
    JobVisibility,
    ProjectSize,
)
from openlance.jobs.search import job_index_sync


def job_client(
    *,
    country: str = "",
    payment_method_verified: bool = False,
    total_spent_cents: int = 0,
) -> User:
    """A client user with a client profile. The profile model is looked up by name because
    jobs may not import profiles (they are sibling layers, even in tests)."""
    now = clock.now()
    user = client_user()
    apps.get_model("profiles", "ClientProfile").objects.create(
        user=user,
        country=country,
        payment_method_verified=payment_method_verified,
        total_spent_cents=total_spent_cents,
        created_at=now,
        updated_at=now,
    )
    return user


def job_post(
    *,
    client: User | None = None,
    title: str = "Build a small website",
    description: str = "We need a few pages and a contact form.",
    category: Category | None = None,
    skills: Iterable[str | Skill] = (),
    state: str = JobState.OPEN,
    visibility: str = JobVisibility.PUBLIC,
    budget_type: str = BudgetType.FIXED,
    budget_cents: int | None = None,
    hourly_min_cents: int | None = None,
    hourly_max_cents: int | None = None,
    experience_level: str = ExperienceLevel.INTERMEDIATE,
    duration: str = Duration.LESS_THAN_1_MONTH,
    size: str = ProjectSize.SMALL,
    countries: Iterable[str] = (),
    proposals_count: int = 0,
    published_at: datetime | None = None,
) -> JobPost:
    """A job post, open and public by default, fixed price ($500) or hourly ($20-40)."""
    now = clock.now()
    skill_rows = [s if isinstance(s, Skill) else Skill.objects.get(name=s) for s in skills]
    if category is None:
        category = skill_rows[0].category if skill_rows else Category.objects.order_by("pk")[0]
    if budget_type == BudgetType.FIXED:
        budget_cents = 50_000 if budget_cents is None else budget_cents
    else:
        hourly_min_cents = 2_000 if hourly_min_cents is None else hourly_min_cents
        hourly_max_cents = 4_000 if hourly_max_cents is None else hourly_max_cents
    if published_at is None and state != JobState.DRAFT:
        published_at = now
    job = JobPost.objects.create(
        client=client or job_client(),
        title=title,
        description=description,
        category=category,
        size=size,
        duration=duration,
        experience_level=experience_level,
        budget_type=budget_type,
        budget_cents=budget_cents,
        hourly_min_cents=hourly_min_cents,
        hourly_max_cents=hourly_max_cents,
        countries=list(countries),
        visibility=visibility,
        state=state,
        proposals_count=proposals_count,
        created_at=published_at or now,
        published_at=published_at,
        last_client_activity_at=now,
        closed_at=now if state not in (JobState.DRAFT, JobState.OPEN) else None,
        removal_reason="Terms violation" if state == JobState.REMOVED else "",
    )
    job.skills.set(skill_rows)
    job_index_sync(job=job)
    return job
