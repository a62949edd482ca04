from __future__ import annotations

import enum
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet

from openlance.accounts.models import User
from openlance.catalog.models import Skill
from openlance.core.errors import NotFound, require_id
from openlance.profiles.models import ClientProfile, Freelancer, PortfolioItem, Profile, Visibility

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


def profile_completeness(*, freelancer: Freelancer) -> Completeness:
    """Ten equal parts; the missing ones are listed in the words the profile editor uses."""
    general = next((p for p in freelancer.profiles.all() if p.is_general), None)
    checks = [
        (bool(freelancer.photo), "a profile photo"),
        (bool(general and general.title), "a professional title"),
        (
            bool(general and len(general.overview) >= OVERVIEW_MINIMUM),
            "an overview of at least 100 characters",
        ),
        (bool(general and len(general.skills.all()) >= SKILLS_MINIMUM), "at least 3 skills"),
        (bool(general and general.hourly_rate_cents), "an hourly rate"),
        (bool(freelancer.country and freelancer.city), "your country and city"),
        (bool(freelancer.time_zone), "your time zone"),
        (bool(freelancer.english_level), "your English level"),
        (freelancer.portfolio.exists(), "a portfolio item"),
        (
            freelancer.employment.exists() or freelancer.education.exists(),
            "employment or education history",
        ),
    ]
    missing = [label for done, label in checks if not done]
    return Completeness(percent=100 * (len(checks) - len(missing)) // len(checks), missing=missing)
