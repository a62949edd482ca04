from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from openlance.accounts.auth import request_user, scope_first
from openlance.accounts.models import User
from openlance.catalog.models import Skill
from openlance.catalog.selectors import catalog_ids, categories_all, skills_all
from openlance.core.apitools import (
    AMOUNT_PATTERN,
    MoneyIn,
    MoneyOut,
    OneOf,
    StrictSchema,
    amount_pattern,
    cents_or_none,
    money_json,
    money_json_or_none,
    trusted_response,
)
from openlance.core.errors import MAX_ID, NotFound
from openlance.core.problems import problems
from openlance.profiles import selectors, services
from openlance.profiles.badges import Badge
from openlance.profiles.models import (
    Availability,
    EnglishLevel,
    Freelancer,
    PortfolioItem,
    Profile,
    Visibility,
)
from openlance.profiles.search import (
    FreelancerSearchParams,
    explain_rank,
    search_freelancer_cards,
)
from openlance.profiles.selectors import Access

router = Router(tags=["profiles"])

AvailabilityValue = Annotated[str, OneOf(Availability)]
EnglishLevelValue = Annotated[str, OneOf(EnglishLevel)]
BadgeValue = Annotated[str, OneOf(Badge)]
VisibilityValue = Annotated[str, OneOf(Visibility)]


class SkillOut(Schema):
    slug: str
    name: str
    category: str


class CategoryOut(Schema):
    slug: str
    name: str


class PortfolioItemOut(Schema):
    id: int
    title: str
    description: str
    image_url: str | None
    link: str
    skills: list[str]


class ProfileOut(Schema):
    id: int
    is_general: bool
    title: str
    overview: str
    teaser: str
    hourly_rate: MoneyOut | None
    skills: list[SkillOut]
    portfolio: list[PortfolioItemOut]


class LocationOut(Schema):
    country: str
    country_name: str
    city: str
    time_zone: str
    verified: bool


class AssessmentOut(Schema):
    id: int
    name: str
    score: int
    taken_on: date


class EmploymentOut(Schema):
    id: int
    company: str
    role: str
    started_on: date
    ended_on: date | None
    description: str


class EducationOut(Schema):
    id: int
    school: str
    degree: str
    field_of_study: str
    start_year: int | None
    end_year: int | None
    description: str


class OtherExperienceOut(Schema):
    id: int
    subject: str
    description: str


class EarningsOut(Schema):
    total_earned: MoneyOut
    jobs: int
    hours: int


class FreelancerOut(Schema):
    user_id: int
    access: Literal["full", "limited"] = Field(
        description="limited for a private profile opened by link"
    )
    name: str
    photo_url: str | None
    location: LocationOut
    job_success_score: int | None = Field(description="null means no score yet, never 0")
    badges: list[BadgeValue] = Field(description="The badges held (SPEC §12), computed.")
    availability: AvailabilityValue | None
    available_now: bool | None
    english_level: EnglishLevelValue | None
    intro_video_url: str | None
    earnings: EarningsOut | None
    profiles: list[ProfileOut]
    assessments: list[AssessmentOut]
    employment: list[EmploymentOut]
    education: list[EducationOut]
    other_experience: list[OtherExperienceOut]


class CompletenessOut(Schema):
    percent: int
    missing: list[str]


class MyFreelancerOut(FreelancerOut):
    visibility: VisibilityValue
    completeness: CompletenessOut


class FreelancerIn(StrictSchema):
    country: str = Field(default="", max_length=2)
    city: str = Field(default="", max_length=100)
    time_zone: str = Field(default="", max_length=64)
    intro_video_url: str = Field(default="", max_length=200)
    availability: Annotated[str, OneOf(Availability, checked_by_service=True)]
    available_now: bool = True
    english_level: Annotated[str, OneOf(EnglishLevel, "", checked_by_service=True)] = Field(
        default="", description="Empty: not stated."
    )
    visibility: Annotated[str, OneOf(Visibility, checked_by_service=True)]


class ProfileIn(StrictSchema):
    title: str = Field(max_length=120)
    overview: str = Field(default="", max_length=5000)
    hourly_rate: MoneyIn | None = None
    skills: list[str] = Field(default_factory=list, description="Skill slugs, at most 15.")
    portfolio_item_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = None


class PortfolioItemIn(Schema):
    title: str
    description: str = ""
    link: str = ""
    skills: str = Field(default="", description="Comma-separated skill slugs.")


class AssessmentIn(StrictSchema):
    name: str
    score: int
    taken_on: date


class EmploymentIn(StrictSchema):
    company: str
    role: str
    started_on: date
    ended_on: date | None = None
    description: str = ""


class EducationIn(StrictSchema):
    school: str
    degree: str = ""
    field_of_study: str = ""
    start_year: int | None = None
    end_year: int | None = None
    description: str = ""


class OtherExperienceIn(StrictSchema):
    subject: str
    description: str


class ClientProfileOut(Schema):
    user_id: int
    company_name: str
    country: str
    city: str
    time_zone: str
    website: str
    description: str
    payment_method_verified: bool
    member_since: datetime


class ClientProfileIn(StrictSchema):
    company_name: str = ""
    country: str = ""
    city: str = ""
    time_zone: str = ""
    website: str = ""
    description: str = ""


def _viewer(request: HttpRequest) -> User | AnonymousUser:
    return request.user if isinstance(request.user, User) else AnonymousUser()


def _portfolio(item: PortfolioItem) -> PortfolioItemOut:
    return PortfolioItemOut(
        id=item.pk,
        title=item.title,
        description=item.description,
        image_url=item.image.url if item.image else None,
        link=item.link,
        skills=[skill.name for skill in item.skills.all()],
    )


def _profile(profile: Profile, portfolio: list[PortfolioItem]) -> ProfileOut:
    return ProfileOut(
        id=profile.pk,
        is_general=profile.is_general,
        title=profile.title,
        overview=profile.overview,
        teaser=profile.teaser,
        hourly_rate=MoneyOut.of_cents_or_none(profile.hourly_rate_cents),
        skills=[
            SkillOut(slug=s.slug, name=s.name, category=s.category.name)
            for s in profile.skills.all()
        ],
        portfolio=[_portfolio(item) for item in portfolio],
    )


def _location(freelancer: Freelancer, limited: bool) -> LocationOut:
    user = freelancer.user
    if user.verified_country:
        return LocationOut(
            country=user.verified_country.code,
            country_name=user.verified_country.name,
            city=user.verified_city,
            time_zone="" if limited else freelancer.time_zone,
            verified=True,
        )
    return LocationOut(
        country=freelancer.country.code or "",
        country_name=freelancer.country.name or "",
        city=freelancer.city,
        time_zone="" if limited else freelancer.time_zone,
        verified=False,
    )


def _freelancer(freelancer: Freelancer, access: Access) -> dict[str, Any]:
    limited = access == Access.LIMITED
    profiles = list(freelancer.profiles.all())
    portfolio = list(freelancer.portfolio.all())
    if limited:
        general = [p for p in profiles if p.is_general]
        return {
            "user_id": freelancer.user_id,
            "access": "limited",
            "name": freelancer.user.public_name,
            "photo_url": freelancer.photo.url if freelancer.photo else None,
            "location": _location(freelancer, limited=True),
            "job_success_score": None,
            "badges": [],
            "availability": None,
            "available_now": None,
            "english_level": None,
            "intro_video_url": None,
            "earnings": None,
            "profiles": [
                ProfileOut(
                    id=p.pk,
                    is_general=True,
                    title=p.title,
                    overview="",
                    teaser="",
                    hourly_rate=MoneyOut.of_cents_or_none(p.hourly_rate_cents),
                    skills=[],
                    portfolio=[],
                )
                for p in general
            ],
            "assessments": [],
            "employment": [],
            "education": [],
            "other_experience": [],
        }
    return {
        "user_id": freelancer.user_id,
        "access": "full",
        "name": freelancer.user.public_name,
        "photo_url": freelancer.photo.url if freelancer.photo else None,
        "location": _location(freelancer, limited=False),
        "job_success_score": freelancer.jss_percent,
        "badges": [badge.value for badge in freelancer.badge_list],
        "availability": freelancer.availability,
        "available_now": freelancer.available_now,
        "english_level": freelancer.english_level or None,
        "intro_video_url": freelancer.intro_video_url or None,
        "earnings": EarningsOut(
            total_earned=MoneyOut.of_cents(freelancer.total_earned_cents),
            jobs=freelancer.total_jobs,
            hours=freelancer.total_hours,
        ),
        "profiles": [
            _profile(p, portfolio if p.is_general else list(p.portfolio_items.all()))
            for p in profiles
        ],
        "assessments": list(freelancer.assessments.all()),
        "employment": list(freelancer.employment.all()),
        "education": list(freelancer.education.all()),
        "other_experience": list(freelancer.other_experience.all()),
    }


def _mine(request: HttpRequest) -> Freelancer:
    freelancer = services.freelancer_start(user=request_user(request))
    return selectors.freelancer_get(user_id=freelancer.user_id)


def _mine_holding_ids(request: HttpRequest) -> Freelancer:
    """For operations on one of your profile's items: a caller without a freelancer
    profile holds none of them, so the id names nothing they may see (404, as for any
    stranger), and asking does not open a profile."""
    freelancer = selectors.freelancer_of(user=request_user(request))
    if freelancer is None:
        raise NotFound("No such profile item.")
    return freelancer


def _my_out(freelancer: Freelancer) -> dict[str, Any]:
    completeness = selectors.profile_completeness(freelancer=freelancer)
    return {
        **_freelancer(freelancer, Access.FULL),
        "visibility": freelancer.visibility,
        "completeness": {"percent": completeness.percent, "missing": completeness.missing},
    }


def _cents(money: MoneyIn | None) -> int | None:
    return None if money is None else money.to_money().cents


@router.get("/skills", response=list[SkillOut], auth=None, summary="The shared skill list")
def skills_list(request: HttpRequest) -> list[SkillOut]:
    return [SkillOut(slug=s.slug, name=s.name, category=s.category.name) for s in skills_all()]


@router.get("/categories", response=list[CategoryOut], auth=None, summary="Job categories")
def categories_list(request: HttpRequest) -> list[CategoryOut]:
    return [CategoryOut(slug=c.slug, name=c.name) for c in categories_all()]


@router.get(
    "/freelancers/{user_id}",
    response=FreelancerOut,
    auth=None,
    summary="A freelancer's profile, as its visibility allows",
)
def freelancer_detail(request: HttpRequest, user_id: int) -> dict[str, Any]:
    """Public profiles to anyone, members-only ones to signed-in users, private ones in
    their limited form (name, title, photo, rate, city and country)."""
    freelancer = selectors.freelancer_get(user_id=user_id)
    access = selectors.profile_access(freelancer=freelancer, viewer=_viewer(request))
    if access == Access.SIGN_IN:
        raise NotFound("No such freelancer.")
    return _freelancer(freelancer, access)


@router.get(
    "/me/freelancer",
    response=MyFreelancerOut,
    summary="Your freelancer profile",
    openapi_extra=problems(422),
)
def my_freelancer(request: HttpRequest) -> dict[str, Any]:
    return _my_out(_mine(request))


@router.put("/me/freelancer", response=MyFreelancerOut, summary="Update who you are")
def my_freelancer_update(request: HttpRequest, payload: FreelancerIn) -> dict[str, Any]:
    freelancer = _mine(request)
    services.freelancer_update(freelancer=freelancer, **payload.model_dump())
    return _my_out(selectors.freelancer_get(user_id=freelancer.user_id))


@router.post("/me/freelancer/photo", response=MyFreelancerOut, summary="Upload your photo")
def my_photo(request: HttpRequest, photo: File[UploadedFile]) -> dict[str, Any]:
    freelancer = _mine(request)
    services.freelancer_set_photo(freelancer=freelancer, upload=photo)
    return _my_out(selectors.freelancer_get(user_id=freelancer.user_id))


def _my_profile(request: HttpRequest, profile_id: int) -> Profile:
    profile = _mine_holding_ids(request).profiles.filter(pk=profile_id).first()
    if profile is None:
        raise NotFound("No such profile.")
    return profile


@router.put("/me/profiles/{profile_id}", response=ProfileOut, summary="Edit a profile")
@scope_first(_my_profile)
def my_profile_update(request: HttpRequest, profile_id: int, payload: ProfileIn) -> ProfileOut:
    profile = services.profile_update(
        profile=_my_profile(request, profile_id),
        title=payload.title,
        overview=payload.overview,
        hourly_rate_cents=_cents(payload.hourly_rate),
        skill_slugs=payload.skills,
        portfolio_item_ids=payload.portfolio_item_ids,
    )
    fresh = selectors.profile_get(profile_id=profile.pk)
    return _profile(fresh, list(fresh.portfolio_items.all()))


@router.post("/me/profiles", response={201: ProfileOut}, summary="Add a specialized profile")
def my_profile_create(request: HttpRequest, payload: ProfileIn) -> Status[ProfileOut]:
    profile = services.specialized_profile_create(
        freelancer=_mine(request),
        title=payload.title,
        overview=payload.overview,
        hourly_rate_cents=_cents(payload.hourly_rate),
        skill_slugs=payload.skills,
        portfolio_item_ids=payload.portfolio_item_ids,
    )
    fresh = selectors.profile_get(profile_id=profile.pk)
    return Status(201, _profile(fresh, list(fresh.portfolio_items.all())))


@router.delete(
    "/me/profiles/{profile_id}", response={204: None}, summary="Delete a specialized profile"
)
def my_profile_delete(request: HttpRequest, profile_id: int) -> Status[None]:
    services.specialized_profile_delete(
        freelancer=_mine_holding_ids(request), profile_id=profile_id
    )
    return Status(204, None)


@router.post("/me/portfolio", response={201: PortfolioItemOut}, summary="Add a portfolio item")
def my_portfolio_add(
    request: HttpRequest,
    payload: Form[PortfolioItemIn],
    image: File[UploadedFile | None] = None,
) -> Status[PortfolioItemOut]:
    item = services.portfolio_item_save(
        freelancer=_mine(request),
        title=payload.title,
        description=payload.description,
        link=payload.link,
        skill_slugs=[s.strip() for s in payload.skills.split(",") if s.strip()],
        image=image,
    )
    return Status(201, _portfolio(item))


@router.delete("/me/portfolio/{item_id}", response={204: None}, summary="Delete a portfolio item")
def my_portfolio_delete(request: HttpRequest, item_id: int) -> Status[None]:
    services.portfolio_item_delete(freelancer=_mine_holding_ids(request), item_id=item_id)
    return Status(204, None)


@router.post("/me/assessments", response={201: AssessmentOut}, summary="Add an assessment score")
def my_assessment_add(request: HttpRequest, payload: AssessmentIn) -> Status[Any]:
    return Status(201, services.assessment_add(freelancer=_mine(request), **payload.model_dump()))


@router.post("/me/employment", response={201: EmploymentOut}, summary="Add employment")
def my_employment_add(request: HttpRequest, payload: EmploymentIn) -> Status[Any]:
    return Status(201, services.employment_add(freelancer=_mine(request), **payload.model_dump()))


@router.post("/me/education", response={201: EducationOut}, summary="Add education")
def my_education_add(request: HttpRequest, payload: EducationIn) -> Status[Any]:
    return Status(201, services.education_add(freelancer=_mine(request), **payload.model_dump()))


@router.post(
    "/me/other-experience", response={201: OtherExperienceOut}, summary="Add other experience"
)
def my_other_experience_add(request: HttpRequest, payload: OtherExperienceIn) -> Status[Any]:
    return Status(
        201, services.other_experience_add(freelancer=_mine(request), **payload.model_dump())
    )


@router.delete(
    "/me/history/{kind}/{item_id}", response={204: None}, summary="Delete a history entry"
)
def my_history_delete(request: HttpRequest, kind: str, item_id: int) -> Status[None]:
    """`kind` is assessment, employment, education or other_experience."""
    services.history_item_delete(freelancer=_mine_holding_ids(request), kind=kind, item_id=item_id)
    return Status(204, None)


def _client_profile_out(profile: Any) -> ClientProfileOut:
    return ClientProfileOut(
        user_id=profile.user_id,
        company_name=profile.company_name,
        country=profile.country.code or "",
        city=profile.city,
        time_zone=profile.time_zone,
        website=profile.website,
        description=profile.description,
        payment_method_verified=profile.payment_method_verified,
        member_since=profile.user.date_joined,
    )


@router.get(
    "/me/client-profile",
    response=ClientProfileOut,
    summary="Your client profile",
    openapi_extra=problems(422),
)
def my_client_profile(request: HttpRequest) -> ClientProfileOut:
    return _client_profile_out(services.client_profile_start(user=request_user(request)))


@router.put("/me/client-profile", response=ClientProfileOut, summary="Update your client profile")
def my_client_profile_update(request: HttpRequest, payload: ClientProfileIn) -> ClientProfileOut:
    profile = services.client_profile_start(user=request_user(request))
    return _client_profile_out(
        services.client_profile_update(client_profile=profile, **payload.model_dump())
    )


search_router = Router(tags=["search"])


class FreelancerSearchQuery(Schema):
    q: str = Field(default="", max_length=200, description="What you need, e.g. content writing.")
    country: list[str] = Field(default_factory=list, description="Verified location, e.g. US.")
    rate_min: str | None = Field(default=None, pattern=amount_pattern(digits=6))
    rate_max: str | None = Field(default=None, pattern=amount_pattern(digits=6))
    jss_min: int | None = Field(default=None, ge=0, le=100)
    earned_min: str | None = Field(default=None, pattern=AMOUNT_PATTERN)
    badge: list[BadgeValue] = Field(
        default_factory=list, description="Badges the freelancer must all hold."
    )
    availability: list[Annotated[str, OneOf(Availability, checked_by_service=True)]] = Field(
        default_factory=list
    )
    available_now: bool = False
    english_min: Annotated[str, OneOf(EnglishLevel, checked_by_service=True)] | None = None
    skill: list[str] = Field(default_factory=list, description="Skill slugs; all must match.")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=100)


class FreelancerHitOut(Schema):
    profile_id: int
    user_id: int
    is_general: bool
    name: str
    photo_url: str | None
    title: str
    teaser: str
    hourly_rate: MoneyOut | None
    skills: list[str]
    country: str
    city: str
    location_verified: bool
    job_success_score: int | None
    badges: list[BadgeValue] = Field(description="The badges held (SPEC §12), computed.")
    total_earned: MoneyOut
    relevance: float | None
    quality: float
    score: float


class FreelancerSearchOut(Schema):
    items: list[FreelancerHitOut]
    count: int = Field(description="Results, counted up to 10,000 (see `count_exact`)")
    count_exact: bool = Field(
        description="False when there are more than `count` results; pages stop there"
    )
    page: int
    page_size: int
    pages: int


class TermMatchOut(Schema):
    word: str
    term: str
    in_title: bool
    in_skills: bool
    in_overview: bool


class RankOut(Schema):
    query: str
    appears: bool
    position: int | None
    total_results: int
    relevance: float | None
    quality: float
    quality_reason: str
    score: float | None
    weights: dict[str, str]
    terms: list[TermMatchOut]
    tips: list[str]


@search_router.get(
    "/search/freelancers", response=FreelancerSearchOut, auth=None, summary="Find freelancers"
)
def search_freelancers_endpoint(
    request: HttpRequest, query: Query[FreelancerSearchQuery]
) -> HttpResponse:
    """Best match = text relevance x quality (ranking policy in force). Private profiles never
    appear; members-only ones only to signed-in users."""
    params = FreelancerSearchParams(
        text=query.q,
        countries=tuple(code.upper() for code in query.country),
        rate_min_cents=cents_or_none(query.rate_min),
        rate_max_cents=cents_or_none(query.rate_max),
        jss_min=query.jss_min,
        earned_min_cents=cents_or_none(query.earned_min),
        badges=tuple(query.badge),
        availability=tuple(query.availability),
        available_now=query.available_now,
        english_min=query.english_min,
        skill_ids=catalog_ids(Skill, query.skill, "skill"),
        page=query.page,
        page_size=query.page_size,
    )
    results = search_freelancer_cards(viewer=_viewer(request), params=params)
    items = [
        {
            "profile_id": card.profile_id,
            "user_id": card.user_id,
            "is_general": card.is_general,
            "name": card.name,
            "photo_url": card.photo_url,
            "title": card.title,
            "teaser": card.teaser,
            "hourly_rate": money_json_or_none(card.hourly_rate_cents),
            "skills": [skill.name for skill in card.skills],
            "country": card.country,
            "city": card.city,
            "location_verified": card.location_verified,
            "job_success_score": card.jss_percent,
            "badges": [badge.value for badge in card.badges],
            "total_earned": money_json(card.total_earned_cents),
            "relevance": card.relevance,
            "quality": card.quality,
            "score": card.score,
        }
        for card in results.items
    ]
    return trusted_response(
        {
            "items": items,
            "count": results.total,
            "count_exact": results.total_exact,
            "page": results.page,
            "page_size": results.page_size,
            "pages": results.num_pages,
        }
    )


@search_router.get(
    "/me/profiles/{profile_id}/rank", response=RankOut, summary="How do I rank for this query?"
)
@scope_first(_my_profile)
def my_rank(request: HttpRequest, profile_id: int, q: str = "") -> RankOut:
    profile = _my_profile(request, profile_id)
    explanation = explain_rank(profile=profile, query_text=q[:200], viewer=request_user(request))
    return RankOut(
        query=explanation.query_text,
        appears=explanation.appears,
        position=explanation.position,
        total_results=explanation.total_results,
        relevance=explanation.relevance,
        quality=explanation.quality,
        quality_reason=explanation.quality_reason,
        score=explanation.score,
        weights={
            "title": str(explanation.title_weight),
            "skills": str(explanation.skills_weight),
            "overview": str(explanation.overview_weight),
        },
        terms=[
            TermMatchOut(
                word=t.word,
                term=t.term,
                in_title=t.in_title,
                in_skills=t.in_skills,
                in_overview=t.in_overview,
            )
            for t in explanation.terms
        ],
        tips=explanation.tips,
    )
