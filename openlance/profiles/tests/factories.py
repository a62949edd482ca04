"""Freelancers with profiles and clients with profiles, written directly (no services) with
`clock.now()` timestamps, indexed for search and with the profiles' search copies of the
owner's fields synchronized, like the services do."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from openlance.accounts.models import User
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.catalog.models import Skill
from openlance.core import clock
from openlance.profiles.models import (
    Availability,
    ClientProfile,
    Freelancer,
    Profile,
    Visibility,
)
from openlance.profiles.search import profile_index_sync
from openlance.profiles.services import profile_search_fields_sync


def skills_named(names: Iterable[str | Skill]) -> list[Skill]:
    """Catalog skills by name (the seeded list: "Python", "Django", "WordPress"...)."""
    return [name if isinstance(name, Skill) else Skill.objects.get(name=name) for name in names]


def freelancer_with_profile(
    *,
    user: User | None = None,
    title: str = "Python developer",
    overview: str = "I build web applications.",
    skills: Iterable[str | Skill] = (),
    hourly_rate_cents: int | None = 5_000,
    visibility: str = Visibility.PUBLIC,
    jss_percent: int | None = None,
    total_earned_cents: int = 0,
    badges: Iterable[str] = (),
    availability: str = Availability.PART_TIME,
    available_now: bool = True,
    english_level: str = "",
    country: str = "",
    verified_country: str = "",
    created_at: datetime | None = None,
) -> Profile:
    """A freelancer and their general profile (returned; `.freelancer` is the freelancer).
    `verified_country` sets the user's verified location, `country` the self-declared one."""
    now = created_at or clock.now()
    if user is None:
        user = freelancer_user()
    if verified_country:
        user.verified_country = verified_country
        user.location_verified_at = now
        user.save(update_fields=["verified_country", "location_verified_at"])
    freelancer = Freelancer.objects.create(
        user=user,
        country=country or verified_country,
        visibility=visibility,
        jss_percent=jss_percent,
        total_earned_cents=total_earned_cents,
        badges=list(badges),
        availability=availability,
        available_now=available_now,
        english_level=english_level,
        created_at=now,
        updated_at=now,
    )
    return _profile(freelancer, True, title, overview, skills, hourly_rate_cents, now)


def specialized_profile(
    freelancer: Freelancer,
    *,
    title: str,
    overview: str = "",
    skills: Iterable[str | Skill] = (),
    hourly_rate_cents: int | None = 5_000,
    created_at: datetime | None = None,
) -> Profile:
    now = created_at or clock.now()
    return _profile(freelancer, False, title, overview, skills, hourly_rate_cents, now)


def _profile(
    freelancer: Freelancer,
    is_general: bool,
    title: str,
    overview: str,
    skills: Iterable[str | Skill],
    hourly_rate_cents: int | None,
    now: datetime,
) -> Profile:
    profile = Profile.objects.create(
        freelancer=freelancer,
        is_general=is_general,
        title=title,
        overview=overview,
        hourly_rate_cents=hourly_rate_cents,
        created_at=now,
        updated_at=now,
    )
    profile.skills.set(skills_named(skills))
    profile_index_sync(profile=profile)
    profile_search_fields_sync(freelancer=freelancer)
    profile.refresh_from_db()
    return profile


def client_with_profile(
    *,
    user: User | None = None,
    company_name: str = "",
    country: str = "",
    payment_method_verified: bool = False,
    total_spent_cents: int = 0,
) -> ClientProfile:
    """A client and their client profile (returned; `.user` is the client)."""
    now = clock.now()
    return ClientProfile.objects.create(
        user=user or client_user(),
        company_name=company_name,
        country=country,
        payment_method_verified=payment_method_verified,
        total_spent_cents=total_spent_cents,
        created_at=now,
        updated_at=now,
    )
