from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import Length

from openlance.accounts.models import User
from openlance.catalog.models import Skill
from openlance.core.errors import NotFound, require_id
from openlance.profiles.models import (
    ClientProfile,
    Education,
    Employment,
    Freelancer,
    PortfolioItem,
    Profile,
    Visibility,
)

OVERVIEW_MINIMUM = 100
SKILLS_MINIMUM = 3


class Access(enum.Enum):
    FULL = "full"
    LIMITED = "limited"  # a private profile opened by direct link
    SIGN_IN = "sign_in"  # members only, and the viewer is anonymous


def profile_access(*, freelancer: Freelancer, viewer: User | AnonymousUser) -> Access:
    """The same rule for pages, API and search (search additionally drops private)."""
    if viewer.is_authenticated and viewer.pk == freelancer.user_id:
        return Access.FULL
    if freelancer.visibility == Visibility.PUBLIC:
        return Access.FULL
    if freelancer.visibility == Visibility.MEMBERS:
        return Access.FULL if viewer.is_authenticated else Access.SIGN_IN
    return Access.LIMITED


def _skills_with_category() -> Prefetch[str, QuerySet[Skill]]:
    # Pages and the API show each skill's category.
    return Prefetch("skills", queryset=Skill.objects.select_related("category"))


def profiles_with_details() -> QuerySet[Profile]:
    return Profile.objects.select_related("freelancer", "freelancer__user").prefetch_related(
        _skills_with_category(),
        Prefetch("portfolio_items", queryset=PortfolioItem.objects.prefetch_related("skills")),
    )


def profile_get(*, profile_id: int) -> Profile:
    profile = (
        profiles_with_details().filter(pk=profile_id, freelancer__user__is_active=True).first()
    )
    if profile is None:
        raise NotFound("No such profile.")
    return profile


def freelancer_get(*, user_id: int) -> Freelancer:
    require_id(user_id, "freelancer")
    freelancer = (
        Freelancer.objects.select_related("user")
        .prefetch_related(
            Prefetch(
                "profiles", queryset=Profile.objects.prefetch_related(_skills_with_category())
            ),
            Prefetch("portfolio", queryset=PortfolioItem.objects.prefetch_related("skills")),
            "assessments",
            "employment",
            "education",
            "other_experience",
        )
        .filter(user_id=user_id, user__is_active=True)
        .first()
    )
    if freelancer is None:
        raise NotFound("No such freelancer.")
    return freelancer


def freelancer_of(*, user: User) -> Freelancer | None:
    return Freelancer.objects.filter(user=user).first()


def client_profile_of(*, user: User) -> ClientProfile | None:
    return ClientProfile.objects.filter(user=user).first()


@dataclass(frozen=True)
class Completeness:
    percent: int
    missing: list[str]


@dataclass(frozen=True)
class _CompletenessFacts:
    photo: bool
    title: bool
    overview_chars: int
    skills: int
    rate: bool
    country_and_city: bool
    time_zone: bool
    english_level: bool
    portfolio: bool
    history: bool


def _completeness(facts: _CompletenessFacts) -> Completeness:
    """Ten equal parts; the missing ones are listed in the words the profile editor uses."""
    checks = [
        (facts.photo, "a profile photo"),
        (facts.title, "a professional title"),
        (facts.overview_chars >= OVERVIEW_MINIMUM, "an overview of at least 100 characters"),
        (facts.skills >= SKILLS_MINIMUM, "at least 3 skills"),
        (facts.rate, "an hourly rate"),
        (facts.country_and_city, "your country and city"),
        (facts.time_zone, "your time zone"),
        (facts.english_level, "your English level"),
        (facts.portfolio, "a portfolio item"),
        (facts.history, "employment or education history"),
    ]
    missing = [label for done, label in checks if not done]
    return Completeness(percent=100 * (len(checks) - len(missing)) // len(checks), missing=missing)


def profile_completeness(*, freelancer: Freelancer) -> Completeness:
    general = next((p for p in freelancer.profiles.all() if p.is_general), None)
    return _completeness(
        _CompletenessFacts(
            photo=bool(freelancer.photo),
            title=bool(general and general.title),
            overview_chars=len(general.overview) if general else 0,
            skills=len(general.skills.all()) if general else 0,
            rate=bool(general and general.hourly_rate_cents),
            country_and_city=bool(freelancer.country and freelancer.city),
            time_zone=bool(freelancer.time_zone),
            english_level=bool(freelancer.english_level),
            portfolio=freelancer.portfolio.exists(),
            history=freelancer.employment.exists() or freelancer.education.exists(),
        )
    )


def profile_completeness_of_users(*, user_ids: Iterable[int]) -> dict[int, int]:
    """The completeness percent of many freelancers at once, by user id (users without a
    freelancer profile are left out), by the same ten checks as `profile_completeness`:
    five queries, whatever the number asked (the daily badge run reads every freelancer)."""
    rows = list(
        Freelancer.objects.filter(user_id__in=list(user_ids)).values_list(
            "pk", "user_id", "photo", "country", "city", "time_zone", "english_level"
        )
    )
    ids = [row[0] for row in rows]
    general = {
        freelancer_id: (title, chars or 0, skills, rate)
        for freelancer_id, title, chars, skills, rate in Profile.objects.filter(
            freelancer_id__in=ids, is_general=True
        )
        .annotate(chars=Length("overview"), skill_count=Count("skills"))
        .order_by()
        .values_list("freelancer_id", "title", "chars", "skill_count", "hourly_rate_cents")
    }

    def having(model: type[PortfolioItem | Employment | Education]) -> set[int]:
        return set(
            model.objects.filter(freelancer_id__in=ids)
            .order_by()
            .values_list("freelancer_id", flat=True)
            .distinct()
        )

    portfolio, employment, education = having(PortfolioItem), having(Employment), having(Education)
    percents = {}
    for pk, user_id, photo, country, city, time_zone, english_level in rows:
        title, chars, skills, rate = general.get(pk, ("", 0, 0, None))
        percents[user_id] = _completeness(
            _CompletenessFacts(
                photo=bool(photo),
                title=bool(title),
                overview_chars=chars,
                skills=skills,
                rate=bool(rate),
                country_and_city=bool(country and city),
                time_zone=bool(time_zone),
                english_level=bool(english_level),
                portfolio=pk in portfolio,
                history=pk in employment or pk in education,
            )
        ).percent
    return percents


def general_skill_ids(*, user: User) -> tuple[int, ...]:
    """The skills on the freelancer's general profile (what jobs are recommended by)."""
    return tuple(
        Profile.skills.through.objects.filter(
            profile__freelancer__user=user, profile__is_general=True
        ).values_list("skill_id", flat=True)
    )
