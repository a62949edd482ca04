"""Writes to freelancer and client profiles. Every change to what search matches on is
re-indexed in the same transaction."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytz
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django_countries import countries

from openlance.accounts.models import User
from openlance.catalog.selectors import skills_by_slugs
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.services import event_emit
from openlance.core.uploads import reencode_image
from openlance.profiles.badges import Badge, badges_in_order
from openlance.profiles.models import (
    MAX_SKILLS,
    MAX_SPECIALIZED,
    Assessment,
    Availability,
    ClientProfile,
    Education,
    Employment,
    EnglishLevel,
    Freelancer,
    OtherExperience,
    PortfolioItem,
    Profile,
    Visibility,
)
from openlance.profiles.search import (
    profile_index_delete,
    profile_index_sync,
    profiles_with_stale_rank,
    quality_ranks,
    ranking_version_at,
    search_rank_sql,
)

EARLIEST_DATE = date(1950, 1, 1)
MINIMUM_RATE_CENTS = 300
MAXIMUM_RATE_CENTS = 100_000
# Zone names people pick from: pytz's zones in common use that this machine's zoneinfo
# knows, as Area/City (and UTC). Legacy aliases ("US/Eastern", "Canada/Pacific") and renamed
# zones ("Asia/Calcutta", "Europe/Kiev") are not among them.
TIME_ZONES = frozenset(
    zone
    for zone in pytz.common_timezones
    if zone in zoneinfo.available_timezones()
    and (zone == "UTC" or ("/" in zone and not zone.startswith(("US/", "Canada/"))))
)


def _check_time_zone(value: str, current: str, errors: dict[str, list[str]]) -> None:
    """A listed zone; an older name a profile already has stays valid until it is changed."""
    if value and value != current and value not in TIME_ZONES:
        errors["time_zone"] = ["Choose a time zone from the list (e.g. America/New_York)."]


def _errors(errors: dict[str, list[str]], message: str) -> None:
    if errors:
        raise InvalidInput(message, field_errors=errors)


def _check_country(value: str, field: str, errors: dict[str, list[str]]) -> str:
    code = (value or "").strip().upper()
    if code and code not in dict(countries):
        errors[field] = ["Choose a country from the list."]
    return code


def _check_url(value: str, field: str, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except Exception:
            errors[field] = ["Enter a full http(s) address."]
    return value


def profile_search_fields_sync(*, freelancer: Freelancer) -> int:
    """Copy what search filters and ranks on (visibility, verified country, JSS, earnings,
    badges, availability, English level) from the freelancer and their user onto all their
    profiles: one UPDATE. The profiles of a user who gave up the freelancer role are copied
    as private, so search drops them while their own visibility waits for their return.
    Every service that writes one of those fields calls this in its own transaction;
    features below profiles (accounts) emit an outbox event handled in `profiles.handlers`,
    and features above write the statistics through `freelancer_earnings_record`
    (contracts) and `freelancer_score_record` (reputation). Also stores the quality rank of
    the JSS under the ranking policy in force now, with that version (`Profile.search_rank`).
    Reads the current rows, so a stale `freelancer` object does no harm. Returns the number
    of profiles updated."""
    current = (
        Freelancer.objects.select_related("user")
        .only(
            "visibility",
            "jss_percent",
            "total_earned_cents",
            "badges",
            "availability",
            "available_now",
            "english_level",
            "user__verified_country",
            "user__is_freelancer",
        )
        .get(pk=freelancer.pk)
    )
    version, policy = ranking_version_at(clock.now())
    return Profile.objects.filter(freelancer_id=current.pk).update(
        search_rank=quality_ranks(policy)[current.jss_percent],
        search_rank_policy=version,
        visibility=current.visibility if current.user.is_freelancer else Visibility.PRIVATE,
        verified_country=current.user.verified_country.code or "",
        jss_percent=current.jss_percent,
        total_earned_cents=current.total_earned_cents,
        badges=list(current.badges),
        availability=current.availability,
        available_now=current.available_now,
        english_level=current.english_level,
    )


def profile_search_fields_rebuild() -> int:
    """Resynchronize every profile (after a bulk import or a repair); the same copy as
    `profile_search_fields_sync`, a freelancer at a time."""
    updated = 0
    with transaction.atomic():
        for freelancer in Freelancer.objects.only("pk").iterator(1000):
            updated += profile_search_fields_sync(freelancer=freelancer)
    return updated


def profile_search_ranks_run_due(*, now: datetime) -> int:
    """Recompute the stored quality rank (`Profile.search_rank`) of every profile whose rank
    was computed under another ranking policy version than the one in force at `now`: one
    UPDATE, in one transaction, so search sees all old or all new ranks. Until it has run
    after a new version takes effect, search orders by the policy's expression instead (it
    checks whether any stored rank is stale), so results are right throughout and only
    slower. Safe to run twice: the second run finds nothing stale. Returns the rows
    updated."""
    version, policy = ranking_version_at(now)
    with transaction.atomic():
        return profiles_with_stale_rank(version).update(
            search_rank=search_rank_sql(policy), search_rank_policy=version
        )


@dataclass(frozen=True)
class Earnings:
    """What a freelancer has been paid for work: gross in cents, the number of contracts
    that paid, the whole hours of hourly work paid, and when money last reached them (None:
    never)."""

    total_earned_cents: int
    total_jobs: int
    last_earned_at: datetime | None
    total_hours: int = 0


def freelancer_earnings_record(*, user: User, count: Callable[[], Earnings]) -> Freelancer | None:
    """Store the earnings statistics (SPEC §2.1) that the contracts feature counts from the
    ledger, with the hours of hourly work paid; `last_earned_at` keeps an earning freelancer
    out of the auto-private rule.
    `count` runs while the freelancer's row is locked, so when two payments are recorded at
    once the count that saw both is stored last. A count of the whole history makes a
    repeated call change nothing. The Job Success Score and badges belong to other features
    and are left alone. None when the user has no freelancer profile."""
    with transaction.atomic():
        freelancer = Freelancer.objects.select_for_update().filter(user=user).first()
        if freelancer is None:
            return None
        earnings = count()
        if min(earnings.total_earned_cents, earnings.total_jobs, earnings.total_hours) < 0:
            raise InvalidInput("Statistics are never negative.")
        fields = ["total_earned_cents", "total_jobs", "total_hours", "last_earned_at"]
        if all(getattr(freelancer, name) == getattr(earnings, name) for name in fields):
            return freelancer
        for name in fields:
            setattr(freelancer, name, getattr(earnings, name))
        freelancer.updated_at = clock.now()
        freelancer.save(update_fields=[*fields, "updated_at"])
        profile_search_fields_sync(freelancer=freelancer)
    return freelancer


def freelancer_score_record(*, user: User, jss_percent: int | None) -> Freelancer | None:
    """Store the Job Success Score the reputation feature computed (SPEC §11; None: "no
    score yet", never 0%), and copy it onto the profiles with its quality rank, so search's
    best match and its minimum-JSS filter read it. Called by `reputation.services` in the
    transaction that stores the score; storing the same score again changes nothing. Only
    the score: earnings, hours and badges belong to other features. None when the user has
    no freelancer profile."""
    if jss_percent is not None and not 0 <= jss_percent <= 100:
        raise InvalidInput("A Job Success Score is between 0 and 100.")
    with transaction.atomic():
        freelancer = Freelancer.objects.select_for_update().filter(user=user).first()
        if freelancer is None:
            return None
        if freelancer.jss_percent == jss_percent:
            return freelancer
        freelancer.jss_percent = jss_percent
        freelancer.updated_at = clock.now()
        freelancer.save(update_fields=["jss_percent", "updated_at"])
        profile_search_fields_sync(freelancer=freelancer)
    return freelancer


def freelancer_badges_record(*, user: User, badges: list[str]) -> Freelancer | None:
    """Store the badges the reputation feature computed (SPEC §12; `Badge` slugs), in the
    enum's order, and copy them onto the profiles, so profiles show them and search's badge
    filter reads them. Called by `reputation.services` in the transaction that stores them;
    storing the same badges again changes nothing. None when the user has no freelancer
    profile."""
    known = set(Badge.values)
    if any(slug not in known for slug in badges):
        raise InvalidInput("Unknown badge.")
    ordered = [badge.value for badge in badges_in_order(badges)]
    with transaction.atomic():
        freelancer = Freelancer.objects.select_for_update().filter(user=user).first()
        if freelancer is None:
            return None
        if list(freelancer.badges) == ordered:
            return freelancer
        freelancer.badges = ordered
        freelancer.updated_at = clock.now()
        freelancer.save(update_fields=["badges", "updated_at"])
        profile_search_fields_sync(freelancer=freelancer)
    return freelancer


def freelancer_start(*, user: User) -> Freelancer:
    """Open the freelancer side of an account: the freelancer row and its general profile."""
    existing = Freelancer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    if not user.is_freelancer:
        raise InvalidInput("Switch on the freelancer role first.")
    now = clock.now()
    with transaction.atomic():
        freelancer = Freelancer.objects.create(user=user, created_at=now, updated_at=now)
        profile = Profile.objects.create(
            freelancer=freelancer, is_general=True, created_at=now, updated_at=now
        )
        profile_index_sync(profile=profile)
        profile_search_fields_sync(freelancer=freelancer)
    return freelancer


# What the freelancer edits about themselves in `freelancer_update`.
FREELANCER_SETTINGS = (
    "country",
    "city",
    "time_zone",
    "intro_video_url",
    "availability",
    "available_now",
    "english_level",
    "visibility",
)


def freelancer_update(
    *,
    freelancer: Freelancer,
    country: str,
    city: str,
    time_zone: str,
    intro_video_url: str,
    availability: str,
    available_now: bool,
    english_level: str,
    visibility: str,
) -> Freelancer:
    errors: dict[str, list[str]] = {}
    country = _check_country(country, "country", errors)
    if len(city) > 100:
        errors["city"] = ["At most 100 characters."]
    _check_time_zone(time_zone, freelancer.time_zone, errors)
    intro_video_url = _check_url(intro_video_url, "intro_video_url", errors)
    if availability not in Availability.values:
        errors["availability"] = ["Choose an availability."]
    if english_level and english_level not in EnglishLevel.values:
        errors["english_level"] = ["Choose an English level."]
    if visibility not in Visibility.values:
        errors["visibility"] = ["Choose who can see your profile."]
    _errors(errors, "Some profile settings are invalid.")
    freelancer.country = country
    freelancer.city = city.strip()
    freelancer.time_zone = time_zone
    freelancer.intro_video_url = intro_video_url
    freelancer.availability = availability
    freelancer.available_now = available_now and availability != Availability.NOT_AVAILABLE
    freelancer.english_level = english_level
    freelancer.visibility = visibility
    freelancer.updated_at = clock.now()
    with transaction.atomic():
        # The caller's copy may be stale: statistics, the photo and the auto-private stamp
        # written since it was read must survive.
        freelancer.save(update_fields=[*FREELANCER_SETTINGS, "updated_at"])
        profile_search_fields_sync(freelancer=freelancer)
    return freelancer


def freelancer_set_visibility(*, freelancer: Freelancer, visibility: str) -> Freelancer:
    """One-click switch, e.g. back to public after the auto-private rule."""
    if visibility not in Visibility.values:
        raise InvalidInput("Unknown visibility.", field_errors={"visibility": ["Choose one."]})
    freelancer.visibility = visibility
    freelancer.updated_at = clock.now()
    with transaction.atomic():
        freelancer.save(update_fields=["visibility", "updated_at"])
        profile_search_fields_sync(freelancer=freelancer)
    return freelancer


def freelancer_set_photo(*, freelancer: Freelancer, upload: UploadedFile) -> Freelancer:
    clean = reencode_image(upload, field="photo", max_side=800)
    old = freelancer.photo.name if freelancer.photo else ""
    freelancer.photo.save(f"freelancer-{freelancer.pk}-{clean.name}", clean, save=False)
    freelancer.updated_at = clock.now()
    freelancer.save(update_fields=["photo", "updated_at"])
    if old and old != freelancer.photo.name:
        freelancer.photo.storage.delete(old)
    return freelancer


def _check_profile_fields(
    *, title: str, overview: str, hourly_rate_cents: int | None, skill_slugs: list[str]
) -> list[Any]:
    errors: dict[str, list[str]] = {}
    if len(title.strip()) > 120:
        errors["title"] = ["At most 120 characters."]
    if len(overview) > 5000:
        errors["overview"] = ["At most 5,000 characters."]
    if hourly_rate_cents is not None and not (
        MINIMUM_RATE_CENTS <= hourly_rate_cents <= MAXIMUM_RATE_CENTS
    ):
        errors["hourly_rate"] = ["Between $3.00 and $1,000.00 an hour."]
    unique_slugs = list(dict.fromkeys(skill_slugs))
    if len(unique_slugs) > MAX_SKILLS:
        errors["skills"] = [f"At most {MAX_SKILLS} skills."]
    skills = skills_by_slugs(unique_slugs)
    unknown = sorted(set(unique_slugs) - {skill.slug for skill in skills})
    if unknown:
        errors["skills"] = [f"Not on the skill list: {', '.join(unknown)}."]
    _errors(errors, "Some profile fields are invalid.")
    return skills


def profile_update(
    *,
    profile: Profile,
    title: str,
    overview: str,
    hourly_rate_cents: int | None,
    skill_slugs: list[str],
    portfolio_item_ids: list[int] | None = None,
) -> Profile:
    skills = _check_profile_fields(
        title=title, overview=overview, hourly_rate_cents=hourly_rate_cents, skill_slugs=skill_slugs
    )
    with transaction.atomic():
        profile.title = title.strip()
        profile.overview = overview.strip()
        profile.hourly_rate_cents = hourly_rate_cents
        profile.updated_at = clock.now()
        # Named fields only: the search copies on the row belong to profile_search_fields_sync.
        profile.save(update_fields=["title", "overview", "hourly_rate_cents", "updated_at"])
        profile.skills.set(skills)
        if portfolio_item_ids is not None:
            _select_portfolio(profile, portfolio_item_ids)
        profile_index_sync(profile=profile)
    return profile


def _select_portfolio(profile: Profile, item_ids: list[int]) -> None:
    items = list(PortfolioItem.objects.filter(freelancer_id=profile.freelancer_id, pk__in=item_ids))
    if len(items) != len(set(item_ids)):
        raise InvalidInput(
            "Some portfolio items are not yours.",
            field_errors={"portfolio_items": ["Unknown item."]},
        )
    profile.portfolio_items.set(items)


def specialized_profile_create(
    *,
    freelancer: Freelancer,
    title: str,
    overview: str,
    hourly_rate_cents: int | None,
    skill_slugs: list[str],
    portfolio_item_ids: list[int] | None = None,
) -> Profile:
    if not title.strip():
        raise InvalidInput(
            "A specialized profile needs a title.", field_errors={"title": ["Required."]}
        )
    with transaction.atomic():
        Freelancer.objects.select_for_update().filter(pk=freelancer.pk).first()
        if freelancer.profiles.filter(is_general=False).count() >= MAX_SPECIALIZED:
            raise Conflict(f"You already have {MAX_SPECIALIZED} specialized profiles.")
        now = clock.now()
        profile = Profile.objects.create(
            freelancer=freelancer, is_general=False, created_at=now, updated_at=now
        )
        profile_search_fields_sync(freelancer=freelancer)
        profile.refresh_from_db()
        return profile_update(
            profile=profile,
            title=title,
            overview=overview,
            hourly_rate_cents=hourly_rate_cents,
            skill_slugs=skill_slugs,
            portfolio_item_ids=portfolio_item_ids or [],
        )


def specialized_profile_delete(*, freelancer: Freelancer, profile_id: int) -> None:
    profile = freelancer.profiles.filter(pk=profile_id, is_general=False).first()
    if profile is None:
        raise NotFound("No such specialized profile.")
    with transaction.atomic():
        profile_index_delete(profile_id=profile.pk)
        profile.delete()


def portfolio_item_save(
    *,
    freelancer: Freelancer,
    title: str,
    description: str,
    link: str,
    skill_slugs: list[str],
    image: UploadedFile | None = None,
    item_id: int | None = None,
) -> PortfolioItem:
    errors: dict[str, list[str]] = {}
    if not title.strip() or len(title) > 120:
        errors["title"] = ["1 to 120 characters."]
    if len(description) > 2000:
        errors["description"] = ["At most 2,000 characters."]
    link = _check_url(link, "link", errors)
    _errors(errors, "The portfolio item is incomplete.")
    skills = _check_profile_fields(
        title="", overview="", hourly_rate_cents=None, skill_slugs=skill_slugs
    )
    clean_image = reencode_image(image, field="image") if image is not None else None
    if item_id is None:
        item = PortfolioItem(freelancer=freelancer, created_at=clock.now())
    else:
        found = freelancer.portfolio.filter(pk=item_id).first()
        if found is None:
            raise NotFound("No such portfolio item.")
        item = found
    if clean_image is None and not item.image and not link:
        raise InvalidInput(
            "Add an image or a link so clients can see the work.",
            field_errors={"image": ["Add an image or a link."]},
        )
    with transaction.atomic():
        item.title = title.strip()
        item.description = description.strip()
        item.link = link
        if clean_image is not None:
            item.image.save(
                f"portfolio-{freelancer.pk}-{clean_image.name}", clean_image, save=False
            )
        item.save()
        item.skills.set(skills)
    return item


def portfolio_item_delete(*, freelancer: Freelancer, item_id: int) -> None:
    deleted, _ = freelancer.portfolio.filter(pk=item_id).delete()
    if not deleted:
        raise NotFound("No such portfolio item.")


def _dates(started_on: date, ended_on: date | None, errors: dict[str, list[str]]) -> None:
    today = clock.now().date()
    if not EARLIEST_DATE <= started_on <= today:
        errors["started_on"] = [f"A date from {EARLIEST_DATE.year} up to today."]
    if ended_on is not None and ended_on < started_on:
        errors["ended_on"] = ["Ends before it starts."]
    elif ended_on is not None and ended_on > today:
        errors["ended_on"] = ["Cannot end in the future; leave it empty for a current job."]


def assessment_add(*, freelancer: Freelancer, name: str, score: int, taken_on: date) -> Assessment:
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 120:
        errors["name"] = ["1 to 120 characters."]
    if not 0 <= score <= 100:
        errors["score"] = ["A score from 0 to 100."]
    if not EARLIEST_DATE <= taken_on <= clock.now().date():
        errors["taken_on"] = [f"A date from {EARLIEST_DATE.year} up to today."]
    _errors(errors, "The assessment is invalid.")
    return Assessment.objects.create(
        freelancer=freelancer, name=name.strip(), score=score, taken_on=taken_on
    )


def employment_add(
    *,
    freelancer: Freelancer,
    company: str,
    role: str,
    started_on: date,
    ended_on: date | None,
    description: str = "",
) -> Employment:
    errors: dict[str, list[str]] = {}
    if not company.strip() or len(company) > 120:
        errors["company"] = ["1 to 120 characters."]
    if not role.strip() or len(role) > 120:
        errors["role"] = ["1 to 120 characters."]
    _dates(started_on, ended_on, errors)
    _errors(errors, "The employment entry is invalid.")
    return Employment.objects.create(
        freelancer=freelancer,
        company=company.strip(),
        role=role.strip(),
        started_on=started_on,
        ended_on=ended_on,
        description=description.strip()[:2000],
    )


def education_add(
    *,
    freelancer: Freelancer,
    school: str,
    degree: str = "",
    field_of_study: str = "",
    start_year: int | None = None,
    end_year: int | None = None,
    description: str = "",
) -> Education:
    errors: dict[str, list[str]] = {}
    if not school.strip() or len(school) > 120:
        errors["school"] = ["1 to 120 characters."]
    this_year = clock.now().year
    for field, year in (("start_year", start_year), ("end_year", end_year)):
        if year is not None and not 1900 <= year <= this_year + 10:
            errors[field] = [f"A year between 1900 and {this_year + 10}."]
    if start_year and end_year and end_year < start_year:
        errors["end_year"] = ["Ends before it starts."]
    _errors(errors, "The education entry is invalid.")
    return Education.objects.create(
        freelancer=freelancer,
        school=school.strip(),
        degree=degree.strip()[:120],
        field_of_study=field_of_study.strip()[:120],
        start_year=start_year,
        end_year=end_year,
        description=description.strip()[:2000],
    )


def other_experience_add(
    *, freelancer: Freelancer, subject: str, description: str
) -> OtherExperience:
    errors: dict[str, list[str]] = {}
    if not subject.strip() or len(subject) > 120:
        errors["subject"] = ["1 to 120 characters."]
    if not description.strip() or len(description) > 2000:
        errors["description"] = ["1 to 2,000 characters."]
    _errors(errors, "The entry is invalid.")
    return OtherExperience.objects.create(
        freelancer=freelancer, subject=subject.strip(), description=description.strip()
    )


HISTORY_KINDS: dict[str, Any] = {
    "assessment": Assessment,
    "employment": Employment,
    "education": Education,
    "other_experience": OtherExperience,
}


def history_item_delete(*, freelancer: Freelancer, kind: str, item_id: int) -> None:
    model = HISTORY_KINDS.get(kind)
    if model is None:
        raise NotFound("No such kind of entry.")
    deleted, _ = model.objects.filter(freelancer=freelancer, pk=item_id).delete()
    if not deleted:
        raise NotFound("No such entry.")


def client_profile_start(*, user: User) -> ClientProfile:
    existing = ClientProfile.objects.filter(user=user).first()
    if existing is not None:
        return existing
    if not user.is_client:
        raise InvalidInput("Switch on the client role first.")
    now = clock.now()
    return ClientProfile.objects.create(user=user, created_at=now, updated_at=now)


def _client_profile_locked(user: User) -> ClientProfile | None:
    """The client's profile, opened if they are a client without one yet, and locked."""
    if user.is_client:
        client_profile_start(user=user)
    return ClientProfile.objects.select_for_update().filter(user=user).first()


def client_payment_method_verify(*, user: User) -> ClientProfile | None:
    """A card charge of the client succeeded: their payment method is verified (SPEC §2.3).
    None when the user has no client profile and is no longer a client."""
    with transaction.atomic():
        profile = _client_profile_locked(user)
        if profile is None or profile.payment_method_verified:
            return profile
        profile.payment_method_verified = True
        profile.updated_at = clock.now()
        profile.save(update_fields=["payment_method_verified", "updated_at"])
    return profile


def client_spending_record(*, user: User, count: Callable[[], int]) -> ClientProfile | None:
    """Store what the client has paid freelancers in all (SPEC §2.3 "total spent"), in
    cents, as counted from the ledger by `count`, which runs while the profile row is
    locked so the latest count is stored last. None when the user has no client profile
    and is no longer a client."""
    with transaction.atomic():
        profile = _client_profile_locked(user)
        if profile is None:
            return None
        spent = count()
        if spent < 0:
            raise InvalidInput("Spending is never negative.")
        if spent == profile.total_spent_cents:
            return profile
        profile.total_spent_cents = spent
        profile.updated_at = clock.now()
        profile.save(update_fields=["total_spent_cents", "updated_at"])
    return profile


def client_profile_update(
    *,
    client_profile: ClientProfile,
    company_name: str,
    country: str,
    city: str,
    time_zone: str,
    website: str,
    description: str,
) -> ClientProfile:
    errors: dict[str, list[str]] = {}
    country = _check_country(country, "country", errors)
    if len(company_name) > 120:
        errors["company_name"] = ["At most 120 characters."]
    if len(city) > 100:
        errors["city"] = ["At most 100 characters."]
    _check_time_zone(time_zone, client_profile.time_zone, errors)
    website = _check_url(website, "website", errors)
    if len(description) > 2000:
        errors["description"] = ["At most 2,000 characters."]
    _errors(errors, "Some company details are invalid.")
    client_profile.company_name = company_name.strip()
    client_profile.country = country
    client_profile.city = city.strip()
    client_profile.time_zone = time_zone
    client_profile.website = website
    client_profile.description = description.strip()
    client_profile.updated_at = clock.now()
    # Named fields only: the vetting signals may have been recorded since the copy was read.
    client_profile.save(
        update_fields=[
            "company_name",
            "country",
            "city",
            "time_zone",
            "website",
            "description",
            "updated_at",
        ]
    )
    return client_profile


NEW_FREELANCER_GRACE = timedelta(days=90)
ESTABLISHED_GRACE = timedelta(days=730)


def freelancer_auto_private_run_due(*, now: datetime) -> int:
    """SPEC §2.1: a freelancer with no earnings 90 days after joining (new), or none for two
    years (established), is switched to private with a notice; switching back is one click
    (`freelancer_set_visibility`). Safe to run twice: a private profile is left alone, and
    a profile its owner made visible again waits for the next full period."""
    idle_new = Q(last_earned_at__isnull=True, created_at__lte=now - NEW_FREELANCER_GRACE)
    idle_established = Q(last_earned_at__lte=now - ESTABLISHED_GRACE)
    recently_restored = Q(made_private_at__gt=now - NEW_FREELANCER_GRACE)
    due = (
        Freelancer.objects.exclude(visibility=Visibility.PRIVATE)
        .filter(idle_new | idle_established)
        .exclude(recently_restored)
        .values_list("pk", flat=True)
    )
    switched = 0
    for freelancer_id in list(due):
        with transaction.atomic():
            freelancer = Freelancer.objects.select_for_update().get(pk=freelancer_id)
            if freelancer.visibility == Visibility.PRIVATE:
                continue
            previous = freelancer.visibility
            freelancer.visibility = Visibility.PRIVATE
            freelancer.made_private_at = now
            freelancer.updated_at = now
            freelancer.save(update_fields=["visibility", "made_private_at", "updated_at"])
            profile_search_fields_sync(freelancer=freelancer)
            event_emit(
                kind="profile.made_private",
                payload={
                    "freelancer_id": freelancer.pk,
                    "user_id": freelancer.user_id,
                    "previous_visibility": previous,
                    "reason": "new" if freelancer.last_earned_at is None else "established",
                },
            )
            switched += 1
    return switched


def freelancer_minimum_rate_set(
    *, freelancer: Freelancer, minimum_hourly_rate_cents: int | None
) -> Freelancer:
    """The least the freelancer wants to earn per hour, for gig math's verdict; None clears it.
    Private to the freelancer: it is never shown to clients."""
    if minimum_hourly_rate_cents is not None and not (
        MINIMUM_RATE_CENTS <= minimum_hourly_rate_cents <= MAXIMUM_RATE_CENTS
    ):
        raise InvalidInput(
            "The minimum hourly rate is out of range.",
            field_errors={"minimum_hourly_rate": ["Between $3 and $1,000 an hour, or empty."]},
        )
    freelancer.minimum_hourly_rate_cents = minimum_hourly_rate_cents
    freelancer.updated_at = clock.now()
    freelancer.save(update_fields=["minimum_hourly_rate_cents", "updated_at"])
    return freelancer
