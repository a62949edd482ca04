"""Job search (SPEC §4.2): open, public posts, by relevance or newest first.

Text is matched over title, skills and description with the field weights of the ranking
policy in force (title, skills, overview). Only open public posts are ever returned:
invite-only, draft and closed posts are filtered at query time, so a state change needs no
reindexing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, TextChoices

from openlance.accounts.models import User
from openlance.catalog.selectors import SkillTag, skill_tags_of
from openlance.core import clock
from openlance.core.countries import country_name
from openlance.core.errors import InvalidInput
from openlance.core.policies import ranking_policy_at
from openlance.core.prepared import PreparedRead, Slot, SlotKeys
from openlance.jobs.models import (
    BudgetType,
    Duration,
    ExperienceLevel,
    JobPost,
    JobState,
    JobVisibility,
)
from openlance.jobs.selectors import JobData, job_data_of
from openlance.search.index import (
    JOBS,
    FieldWeights,
    IndexDocument,
    index_delete,
    index_upsert,
    index_upsert_many,
    match_expression,
    text_match,
)
from openlance.search.pages import (
    Prepared,
    SearchPage,
    check_paging,
    load_page,
    paginate_ranked,
)
from openlance.search.text import parse_query, teaser

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    Viewer = User | AnonymousUser | None

TEASER_LENGTH = 250

# "Number of proposals" buckets as the filter offers them: label -> (at least, at most).
PROPOSAL_BUCKETS: dict[str, tuple[int, int | None]] = {
    "0-4": (0, 4),
    "5-9": (5, 9),
    "10-14": (10, 14),
    "15-19": (15, 19),
    "20-49": (20, 49),
    "50+": (50, None),
}


class JobSort(TextChoices):
    RELEVANCE = "relevance", "Best match"
    NEWEST = "newest", "Newest"


# --- indexing -------------------------------------------------------------------------


def _document(job: JobPost) -> IndexDocument:
    return IndexDocument(
        object_id=job.pk,
        title=job.title,
        skills=[skill.name for skill in job.skills.all()],
        body=job.description,
    )


def job_index_sync(*, job: JobPost) -> None:
    """(Re)index one post: title, skill names, description. Call it in the transaction that
    writes any of those (or the post's skills); state changes need no call."""
    document = _document(job)
    index_upsert(
        JOBS, document.object_id, title=document.title, skills=document.skills, body=document.body
    )


def job_index_delete(*, job_id: int) -> None:
    index_delete(JOBS, job_id)


def job_index_rebuild(*, jobs: QuerySet[JobPost] | None = None) -> None:
    """Index many posts at once (initial load, demo data, repair after a bulk import)."""
    chosen = JobPost.objects.all() if jobs is None else jobs
    index_upsert_many(
        JOBS, (_document(job) for job in chosen.prefetch_related("skills").iterator(1000))
    )


# --- searching ------------------------------------------------------------------------


# Read once: a choices class builds its `values` on every read, and every search is checked.
_ALLOWED = {
    "budget_types": frozenset(BudgetType.values),
    "experience_levels": frozenset(ExperienceLevel.values),
    "durations": frozenset(Duration.values),
    "proposals": frozenset(PROPOSAL_BUCKETS),
}
_SORTS = tuple(JobSort.values)


@dataclass(frozen=True, kw_only=True)
class JobSearchParams:
    """Filters of SPEC §4.2. Empty tuples and None mean "any".

    Budget: a post passes when its type is among `budget_types` (any when empty) and it is
    within the range given for its type: a fixed budget within [fixed_min, fixed_max], an
    hourly range overlapping [hourly_min, hourly_max]."""

    text: str = ""
    category_ids: tuple[int, ...] = ()  # any of them
    skill_ids: tuple[int, ...] = ()  # any of them: a freelancer looks for work using any skill
    budget_types: tuple[str, ...] = ()
    fixed_min_cents: int | None = None
    fixed_max_cents: int | None = None
    hourly_min_cents: int | None = None
    hourly_max_cents: int | None = None
    experience_levels: tuple[str, ...] = ()
    durations: tuple[str, ...] = ()
    client_countries: tuple[str, ...] = ()
    client_payment_verified: bool = False  # True keeps only clients with a verified method
    client_spent_min_cents: int | None = None
    posted_within_days: int | None = None
    proposals: tuple[str, ...] = ()  # any of PROPOSAL_BUCKETS
    sort: str = JobSort.RELEVANCE  # relevance falls back to newest without text
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        for name, allowed in _ALLOWED.items():
            if unknown := set(getattr(self, name)) - allowed:
                errors[name] = [f"Unknown value(s): {', '.join(sorted(unknown))}."]
        for name in (
            "fixed_min_cents",
            "fixed_max_cents",
            "hourly_min_cents",
            "hourly_max_cents",
            "client_spent_min_cents",
        ):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = ["Must not be negative."]
        if self.posted_within_days is not None and self.posted_within_days < 1:
            errors["posted_within_days"] = ["At least one day."]
        if any(len(code) != 2 for code in self.client_countries):
            errors["client_countries"] = ["Countries are two-letter ISO codes."]
        if self.sort not in _SORTS:
            errors["sort"] = [f"Sort by one of: {', '.join(_SORTS)}."]
        if errors:
            raise InvalidInput("The search filters are invalid.", field_errors=errors)
        check_paging(self.page, self.page_size)


@dataclass(frozen=True)
class JobCard:
    """A post as a list of results shows it, read as plain data: a page loaded as models
    (each post with its client, client profile and category) cost more than the search.
    The budget columns keep the model's names, so the `budget` filter shows either."""

    pk: int
    title: str
    category_name: str
    budget_type: str
    budget_cents: int | None
    hourly_min_cents: int | None
    hourly_max_cents: int | None
    experience_level: str
    duration: str
    proposals_count: int
    published_at: datetime | None
    countries: list[str]  # ISO codes; empty: anyone may propose
    # The client's profile as the card shows it (a client without a profile: unverified,
    # nothing spent, no country).
    client_payment_verified: bool
    client_spent_cents: int
    client_country: str

    @property
    def experience_level_label(self) -> str:
        return str(ExperienceLevel(self.experience_level).label)

    @property
    def duration_label(self) -> str:
        return str(Duration(self.duration).label)

    @property
    def client_country_name(self) -> str:
        return country_name(self.client_country) if self.client_country else ""


@dataclass(frozen=True)
class JobHit:
    """One result, ready to render."""

    job: JobCard
    skills: list[SkillTag]
    relevance: float | None  # None when the search had no text
    teaser: str
    # Whether the viewer's verified location lets them propose (SPEC §2.2): always true for
    # an unrestricted post, never for an anonymous viewer of a restricted one.
    location_ok: bool


_CARD_ROWS = PreparedRead(
    lambda: JobPost.objects.filter(pk__in=SlotKeys("keys")).values_list(
        "pk",
        "title",
        "category__name",
        "budget_type",
        "budget_cents",
        "hourly_min_cents",
        "hourly_max_cents",
        "experience_level",
        "duration",
        "proposals_count",
        "published_at",
        "countries",
        "client__client_profile__payment_method_verified",
        "client__client_profile__total_spent_cents",
        "client__client_profile__country",
        "description",
    )
)


@dataclass(frozen=True)
class JobDataHit:
    """One result as plain data, for the API: the post whole, no model instance."""

    job: JobData
    relevance: float | None
    teaser: str
    location_ok: bool


def _budget_filter(params: JobSearchParams) -> Q | None:
    """The budget filters as one condition, or None when they keep every post (no filter to
    check row by row)."""
    ranges = (
        params.fixed_min_cents,
        params.fixed_max_cents,
        params.hourly_min_cents,
        params.hourly_max_cents,
    )
    types = params.budget_types or BudgetType.values
    if set(types) >= set(BudgetType.values) and all(bound is None for bound in ranges):
        return None
    fixed = Q(budget_type=BudgetType.FIXED)
    if params.fixed_min_cents is not None:
        fixed &= Q(budget_cents__gte=params.fixed_min_cents)
    if params.fixed_max_cents is not None:
        fixed &= Q(budget_cents__lte=params.fixed_max_cents)
    hourly = Q(budget_type=BudgetType.HOURLY)
    if params.hourly_min_cents is not None:
        hourly &= Q(hourly_max_cents__gte=params.hourly_min_cents)
    if params.hourly_max_cents is not None:
        hourly &= Q(hourly_min_cents__lte=params.hourly_max_cents)
    return (fixed if BudgetType.FIXED in types else Q(pk__in=[])) | (
        hourly if BudgetType.HOURLY in types else Q(pk__in=[])
    )


def _client_filter(params: JobSearchParams) -> Q | None:
    """The client filters as one EXISTS on the post's `client_id`, not joins: the post list
    is still walked in the listing index's order (and stops after the page), each post's
    client checked by key, where joins made SQLite start from the clients and sort."""
    clients = Q()
    if params.client_countries:
        clients &= Q(client_profile__country__in=[code.upper() for code in params.client_countries])
    if params.client_payment_verified:
        clients &= Q(client_profile__payment_method_verified=True)
    if params.client_spent_min_cents is not None:
        clients &= Q(client_profile__total_spent_cents__gte=params.client_spent_min_cents)
    if not clients:
        return None
    return Q(Exists(User.objects.filter(clients, pk=OuterRef("client_id"))))


def _filtered(jobs: QuerySet[JobPost], params: JobSearchParams) -> QuerySet[JobPost]:
    """`jobs` narrowed by the filters of `params`; "posted within" compares with the slot
    "posted_since", so the SQL does not depend on the time."""
    if params.category_ids:
        jobs = jobs.filter(category_id__in=params.category_ids)
    if params.skill_ids:
        jobs = jobs.filter(
            pk__in=JobPost.skills.through.objects.filter(skill_id__in=params.skill_ids).values(
                "jobpost_id"
            )
        )
    for condition in (_budget_filter(params), _client_filter(params)):
        if condition is not None:
            jobs = jobs.filter(condition)
    if params.experience_levels:
        jobs = jobs.filter(experience_level__in=params.experience_levels)
    if params.durations:
        jobs = jobs.filter(duration__in=params.durations)
    if params.posted_within_days is not None:
        jobs = jobs.filter(published_at__gte=Slot("posted_since", DateTimeField()))
    if params.proposals:
        buckets = Q(pk__in=[])
        for label in params.proposals:
            low, high = PROPOSAL_BUCKETS[label]
            bucket = Q(proposals_count__gte=low)
            if high is not None:
                bucket &= Q(proposals_count__lte=high)
            buckets |= bucket
        jobs = jobs.filter(buckets)
    return jobs


def location_allows(job: JobPost, viewer: Viewer) -> bool:
    """Whether the viewer's verified location lets them propose on the post (SPEC §2.2)."""
    return countries_allow([country.code for country in job.countries], viewer)


def countries_allow(countries: list[str], viewer: Viewer) -> bool:
    """`location_allows` for a post restricted to `countries` (ISO codes; none: anyone)."""
    if not countries:
        return True
    country = getattr(viewer, "verified_country", "")
    return bool(country) and country in countries


def rank_jobs(*, params: JobSearchParams) -> SearchPage[dict[str, Any]]:
    """One page of open public posts matching `params`, best match or newest first: each
    item the post's key ("pk") and, with text, its "relevance". Only the page's keys are
    ranked or walked in the listing index; the text match is counted in the ranking query,
    without text the listing index counts."""
    now = clock.now()
    query = parse_query(params.text)
    newest = ["-published_at", "-pk"]
    order = ["-relevance", *newest] if query and params.sort == JobSort.RELEVANCE else newest
    # The SQL is the same for every text and "posted within" cut-off under the same other
    # filters and weights: compiled once.
    weights = FieldWeights.of(ranking_policy_at(now)) if query else None
    values: dict[str, object] = {"text": match_expression(query)} if query else {}
    if params.posted_within_days is not None:
        values["posted_since"] = now - timedelta(days=params.posted_within_days)
    filters = replace(params, text="", page=1, page_size=1, posted_within_days=None)
    shape = ("jobs", filters, params.posted_within_days is not None, weights)

    def ranked() -> QuerySet[JobPost]:
        jobs = _filtered(
            JobPost.objects.filter(state=JobState.OPEN, visibility=JobVisibility.PUBLIC), params
        )
        if weights is None:
            return jobs
        return text_match(jobs, index_name=JOBS, query=query, weights=weights, slot="text")

    return paginate_ranked(
        ranked,
        page=params.page,
        page_size=params.page_size,
        fields=["relevance"] if query else [],
        order=order,
        count_with_ranking=bool(query),
        prepared=Prepared(shape=shape, values=values),
    )


def search_jobs(*, viewer: Viewer, params: JobSearchParams) -> SearchPage[JobHit]:
    """`rank_jobs` with the page's posts read as `JobCard`s, for pages: two prepared reads
    (the posts with their category and client profile, and their skills)."""

    def load(keys: list[int]) -> dict[int, tuple[tuple[Any, ...], list[SkillTag]]]:
        skills = skill_tags_of(JobPost.skills.through, "jobpost_id", keys)
        return {row[0]: (row, skills[row[0]]) for row in _CARD_ROWS.rows(keys=keys)}

    def hit(loaded: tuple[tuple[Any, ...], list[SkillTag]], ranking: dict[str, Any]) -> JobHit:
        row, skills = loaded
        (pk, title, category_name, budget_type, budget_cents, hourly_min_cents,
         hourly_max_cents, experience_level, duration, proposals_count, published_at,
         countries, verified, spent, country, description) = row  # fmt: skip
        codes = countries.split(",") if countries else []
        card = JobCard(
            pk=pk,
            title=title,
            category_name=category_name,
            budget_type=budget_type,
            budget_cents=budget_cents,
            hourly_min_cents=hourly_min_cents,
            hourly_max_cents=hourly_max_cents,
            experience_level=experience_level,
            duration=duration,
            proposals_count=proposals_count,
            published_at=published_at,
            countries=codes,
            client_payment_verified=bool(verified),
            client_spent_cents=spent or 0,
            client_country=country or "",
        )
        return JobHit(
            job=card,
            skills=skills,
            relevance=ranking.get("relevance"),
            teaser=teaser(description, TEASER_LENGTH),
            location_ok=countries_allow(codes, viewer),
        )

    return load_page(rank_jobs(params=params), key=itemgetter("pk"), load=load, hit=hit)


def search_jobs_data(*, viewer: Viewer, params: JobSearchParams) -> SearchPage[JobDataHit]:
    """`rank_jobs` with the page's posts read whole as plain data, for the API."""

    def hit(job: JobData, row: dict[str, Any]) -> JobDataHit:
        return JobDataHit(
            job=job,
            relevance=row.get("relevance"),
            teaser=teaser(job.description, TEASER_LENGTH),
            location_ok=countries_allow(job.countries, viewer),
        )

    return load_page(rank_jobs(params=params), key=itemgetter("pk"), load=job_data_of, hit=hit)
