"""Freelancer search (SPEC §4.1): profiles, general and specialized, ranked by best match.

Best match = text relevance x quality. Relevance weighs where the words are found (title,
then skills, then overview); quality is `quality_base + quality_jss_share x JSS/100` for a
freelancer with a Job Success Score and `quality_without_score` without one. All numbers
come from the ranking policy in force. Without text, results are ordered by quality, then
newest. Visibility is applied at query time, so changing it needs no reindexing.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    PositiveIntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from openlance.accounts.models import initials_of, public_name_of
from openlance.catalog.models import Skill
from openlance.catalog.selectors import SkillTag, skill_tags_of
from openlance.core import clock, countries
from openlance.core.errors import InvalidInput, NotFound
from openlance.core.models import Policy, PolicyKind
from openlance.core.policies import (
    RankingPolicy,
    policy_in_force,
    ranking_policy_at,
)
from openlance.core.prepared import PreparedRead, Slot, SlotKeys
from openlance.profiles.badges import Badge, badges_in_order
from openlance.profiles.models import (
    MAX_SKILLS,
    TEASER_LENGTH,
    Availability,
    EnglishLevel,
    Freelancer,
    Profile,
    Visibility,
)
from openlance.search.expressions import JsonArrayContains
from openlance.search.index import (
    PROFILES,
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
from openlance.search.text import ParsedQuery, parse_query, teaser, tokens

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from openlance.accounts.models import User

    Viewer = User | AnonymousUser | None

ENGLISH_ORDER = [level.value for level in EnglishLevel]
BEST_MATCH_ORDER = ("-score", "-quality", "-created_at", "-pk")
# An overview shorter than this many words gives the ranker little to work with.
SHORT_OVERVIEW_WORDS = 60


# --- indexing -------------------------------------------------------------------------


def _document(profile: Profile) -> IndexDocument:
    return IndexDocument(
        object_id=profile.pk,
        title=profile.title,
        skills=[skill.name for skill in profile.skills.all()],
        body=profile.overview,
    )


def profile_index_sync(*, profile: Profile) -> None:
    """(Re)index one profile: title, skill names, overview. Call it in the transaction that
    writes any of those (or the profile's skills)."""
    document = _document(profile)
    index_upsert(
        PROFILES,
        document.object_id,
        title=document.title,
        skills=document.skills,
        body=document.body,
    )


def profile_index_delete(*, profile_id: int) -> None:
    index_delete(PROFILES, profile_id)


def profile_index_rebuild(*, profiles: QuerySet[Profile] | None = None) -> None:
    """Index many profiles at once (initial load, demo data, repair after a bulk import)."""
    chosen = Profile.objects.all() if profiles is None else profiles
    index_upsert_many(
        PROFILES,
        (_document(profile) for profile in chosen.prefetch_related("skills").iterator(1000)),
    )


# --- searching ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FreelancerSearchParams:
    """Filters of SPEC §4.1. Empty tuples and None mean "any"."""

    text: str = ""
    countries: tuple[str, ...] = ()  # verified location, ISO codes; ("US",) is "US only"
    rate_min_cents: int | None = None
    rate_max_cents: int | None = None
    jss_min: int | None = None  # freelancers without a score are excluded by this filter
    earned_min_cents: int | None = None
    badges: tuple[str, ...] = ()  # all of them
    availability: tuple[str, ...] = ()  # any of Availability
    available_now: bool = False  # True keeps only freelancers available now
    english_min: str | None = None  # this EnglishLevel or better
    skill_ids: tuple[int, ...] = ()  # all of them
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        for name in ("rate_min_cents", "rate_max_cents", "earned_min_cents"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = ["Must not be negative."]
        if self.jss_min is not None and not 0 <= self.jss_min <= 100:
            errors["jss_min"] = ["A Job Success Score is between 0 and 100."]
        if unknown := set(self.availability) - set(Availability.values):
            errors["availability"] = [f"Unknown availability: {', '.join(sorted(unknown))}."]
        if self.english_min is not None and self.english_min not in ENGLISH_ORDER:
            errors["english_min"] = [f"Unknown English level {self.english_min!r}."]
        if any(len(code) != 2 for code in self.countries):
            errors["countries"] = ["Countries are two-letter ISO codes."]
        if errors:
            raise InvalidInput("The search filters are invalid.", field_errors=errors)
        check_paging(self.page, self.page_size)


def quality_sql(policy: RankingPolicy, jss_percent: str = "jss_percent") -> Case:
    """A freelancer's quality under `policy` as an SQL expression over the JSS field named
    `jss_percent` (a path from the queried model, e.g. "profile__jss_percent")."""
    # The same float arithmetic as `_quality` below, so explanations match the ranking.
    # The cast keeps PostgreSQL in double precision like SQLite (not numeric), so both
    # databases compute the very same floats and break ties the same way.
    return Case(
        When(**{f"{jss_percent}__isnull": True}, then=Value(float(policy.quality_without_score))),
        default=Value(float(policy.quality_base))
        + Cast(jss_percent, FloatField()) * Value(float(policy.quality_jss_share) / 100),
        output_field=FloatField(),
    )


def _quality(policy: RankingPolicy, jss_percent: int | None) -> float:
    if jss_percent is None:
        return float(policy.quality_without_score)
    return float(policy.quality_base) + jss_percent * (float(policy.quality_jss_share) / 100)


def ranking_version_at(when: datetime) -> tuple[int, RankingPolicy]:
    """The ranking policy in force at `when` and the id of its version (one query)."""
    version, policy = policy_in_force(PolicyKind.RANKING, when)
    assert isinstance(policy, RankingPolicy)
    return version, policy


def quality_ranks(policy: RankingPolicy) -> dict[int | None, int]:
    """The stored sort key of every JSS a profile can have (None: no score) under `policy`:
    the dense rank of its quality, 1 for the lowest. A JSS is an integer 0-100, so there are
    only 102 qualities; ranking them with the very float arithmetic the database uses
    (`_quality` = `quality_sql`) makes "rank descending" order and tie exactly like
    "quality descending", whatever the policy's numbers."""
    qualities = {jss: _quality(policy, jss) for jss in (None, *range(101))}
    rank = {quality: n for n, quality in enumerate(sorted(set(qualities.values())), start=1)}
    return {jss: rank[quality] for jss, quality in qualities.items()}


def search_rank_sql(policy: RankingPolicy) -> Case:
    """`quality_ranks` as an SQL expression over `jss_percent`, for bulk updates."""
    by_rank: dict[int, list[int]] = {}
    ranks = quality_ranks(policy)
    for jss, rank in ranks.items():
        if jss is not None:
            by_rank.setdefault(rank, []).append(jss)
    return Case(
        When(jss_percent__isnull=True, then=Value(ranks[None])),
        *(When(jss_percent__in=scores, then=Value(rank)) for rank, scores in by_rank.items()),
        default=Value(0),
    )


def _stale_rank_ranges(version: int | Slot) -> list[Q]:
    # Ranges rather than "<>", so the `profile_rank_policy` index finds stale rows at once.
    return [
        Q(search_rank_policy__isnull=True),
        Q(search_rank_policy__lt=version),
        Q(search_rank_policy__gt=version),
    ]


def profiles_with_stale_rank(version: int) -> QuerySet[Profile]:
    """Profiles whose stored rank is not of ranking policy version `version`."""
    return Profile.objects.filter(reduce(operator.or_, _stale_rank_ranges(version)))


# One row, read off the policy version itself: whether any profile's stored rank is of
# another version, as one EXISTS a range, each one index seek (SQLite scans the whole index
# for the three ranges ORed in one query).
_STALE_RANKS = PreparedRead(
    lambda: (
        Policy.objects.filter(pk=Slot("version", BigIntegerField()))
        .order_by()
        .values_list(
            *(
                Exists(Profile.objects.filter(stale))
                for stale in _stale_rank_ranges(Slot("version", PositiveIntegerField()))
            )
        )
    )
)


def any_stale_rank(version: int) -> bool:
    """Whether any profile's stored rank is not of ranking policy version `version` (or the
    version is unknown: then no stored rank can be trusted either)."""
    found = _STALE_RANKS.rows(version=version)
    return not found or any(found[0])


def _visible_to(viewer: Viewer, *, text: bool = True) -> QuerySet[Profile]:
    """Public profiles for anyone, members-only ones for signed-in users, private never;
    never those of a deactivated account. Reads the profile's copies of the owner's fields
    (see `Profile`), except `is_active`, which is checked live against the few deactivated
    accounts. Each engine gets the form its planner handles well: for a text search
    PostgreSQL estimates an anti-join (NOT EXISTS) right and still starts from the text
    index, where NOT IN made it guess half the table away and scan all of it; without text
    it counts from the covering `profile_search` index with NOT IN (one hashed list), where
    the anti-join made it scan the wide table. SQLite keeps walking the ordered search
    indexes with NOT IN, where a correlated NOT EXISTS made it sort instead."""
    signed_in = viewer is not None and viewer.is_authenticated
    levels = [Visibility.PUBLIC, Visibility.MEMBERS] if signed_in else [Visibility.PUBLIC]
    visible = Profile.objects.filter(visibility__in=levels)
    if connection.vendor == "postgresql" and text:
        owner_deactivated = Freelancer.objects.filter(
            pk=OuterRef("freelancer_id"), user__is_active=False
        )
        return visible.exclude(Exists(owner_deactivated))
    deactivated = Freelancer.objects.filter(user__is_active=False).values("pk")
    return visible.exclude(freelancer_id__in=deactivated)


def _filtered(profiles: QuerySet[Profile], params: FreelancerSearchParams) -> QuerySet[Profile]:
    if params.countries:
        profiles = profiles.filter(verified_country__in=[code.upper() for code in params.countries])
    if params.rate_min_cents is not None:
        profiles = profiles.filter(hourly_rate_cents__gte=params.rate_min_cents)
    if params.rate_max_cents is not None:
        profiles = profiles.filter(hourly_rate_cents__lte=params.rate_max_cents)
    if params.jss_min is not None:
        profiles = profiles.filter(jss_percent__gte=params.jss_min)
    if params.earned_min_cents is not None:
        profiles = profiles.filter(total_earned_cents__gte=params.earned_min_cents)
    for badge in params.badges:
        profiles = profiles.filter(JsonArrayContains("badges", badge))
    if params.availability:
        profiles = profiles.filter(availability__in=params.availability)
    if params.available_now:
        profiles = profiles.filter(available_now=True)
    if params.english_min is not None:
        at_least = ENGLISH_ORDER[ENGLISH_ORDER.index(params.english_min) :]
        profiles = profiles.filter(english_level__in=at_least)
    for skill_id in params.skill_ids:
        profiles = profiles.filter(
            Exists(
                Profile.skills.through.objects.filter(profile_id=OuterRef("pk"), skill_id=skill_id)
            )
        )
    return profiles


def _ranked(
    profiles: QuerySet[Profile],
    query: ParsedQuery,
    policy: RankingPolicy,
    *,
    text_slot: str | None = None,
) -> QuerySet[Profile]:
    """Annotate relevance, quality and score, and order best first (ties: newest first)."""
    profiles = profiles.annotate(quality=quality_sql(policy))
    if query:
        profiles = text_match(
            profiles,
            index_name=PROFILES,
            query=query,
            weights=FieldWeights.of(policy),
            slot=text_slot,
        )
        profiles = profiles.annotate(score=F("relevance") * F("quality"))
    else:
        profiles = profiles.annotate(score=F("quality"))
    return profiles.order_by(*BEST_MATCH_ORDER)


def _results(*, viewer: Viewer, params: FreelancerSearchParams, now: datetime) -> QuerySet[Profile]:
    policy = ranking_policy_at(now)
    return _ranked(_filtered(_visible_to(viewer), params), parse_query(params.text), policy)


def rank_freelancers(
    *, viewer: Viewer, params: FreelancerSearchParams
) -> SearchPage[dict[str, Any]]:
    """One page of profiles matching `params` that `viewer` may see, best match first: each
    item the profile's key ("pk"), "quality", "score" and, with text, "relevance"."""
    now = clock.now()
    version, policy = ranking_version_at(now)
    query = parse_query(params.text)

    def candidates() -> QuerySet[Profile]:
        return _filtered(_visible_to(viewer, text=bool(query)), params)

    # The ranking's SQL is the same for every text under the same filters, viewer kind and
    # policy (its numbers: a version id may be reused where a test's rows are rolled back):
    # compiled once.
    signed_in = viewer is not None and viewer.is_authenticated
    shape = ("freelancers", signed_in, replace(params, text="", page=1, page_size=1), policy)
    if query:
        # The full-text index drives: one query ranks the matches and returns only the
        # page's keys and scores, with the number of matches.
        return paginate_ranked(
            lambda: _ranked(candidates(), query, policy, text_slot="text"),
            page=params.page,
            page_size=params.page_size,
            fields=["relevance", "quality", "score"],
            order=list(BEST_MATCH_ORDER),
            # As annotated by `_ranked`: relevance, the full-text ranker, then runs once.
            derived={"score": '"relevance" * "quality"'},
            count_with_ranking=True,
            prepared=Prepared(shape=shape, values={"text": match_expression(query)}),
        )
    # Without text nearly every profile matches. When every profile's stored rank was
    # computed under the policy in force (the `profile_rank_policy` index answers that at
    # once), the order is (rank, newest) and the database walks the `profile_rank` index in
    # that order, stopping after the page; otherwise it sorts by the policy's expression.
    stored_order = not any_stale_rank(version)
    order = ["-search_rank", "-created_at", "-pk"] if stored_order else list(BEST_MATCH_ORDER)
    return paginate_ranked(
        lambda: _ranked(candidates(), query, policy),
        page=params.page,
        page_size=params.page_size,
        fields=["quality", "score"],
        order=order,
        count_with_ranking=False,
        prepared=Prepared(shape=shape, values={}),
    )


@dataclass(frozen=True)
class FreelancerCard:
    """One result as the API and the talent pages list it, read as plain data: a page of
    profiles loaded with their freelancers and accounts as models (three instances and some
    dozen datetime conversions a row) cost more than the search that found them."""

    profile_id: int
    user_id: int
    is_general: bool
    name: str
    photo_url: str | None
    initials: str  # shown instead of a photo
    title: str
    teaser: str
    hourly_rate_cents: int | None
    skills: list[SkillTag]
    country: str  # the verified one when the location is verified
    city: str
    location_verified: bool
    jss_percent: int | None
    badges: list[Badge]
    total_earned_cents: int
    relevance: float | None
    quality: float
    score: float

    @property
    def country_name(self) -> str:
        return countries.country_name(self.country) if self.country else ""


_CARD_ROWS = PreparedRead(
    lambda: Profile.objects.filter(pk__in=SlotKeys("keys")).values_list(
        "pk",
        "freelancer__user_id",
        "is_general",
        "freelancer__user__first_name",
        "freelancer__user__last_name",
        "freelancer__user__email",
        "freelancer__photo",
        "title",
        "overview",
        "hourly_rate_cents",
        "freelancer__user__verified_country",
        "freelancer__user__verified_city",
        "freelancer__country",
        "freelancer__city",
        "freelancer__jss_percent",
        "freelancer__badges",
        "freelancer__total_earned_cents",
    )
)
_PHOTO = Freelancer._meta.get_field("photo")


def search_freelancer_cards(
    *, viewer: Viewer, params: FreelancerSearchParams
) -> SearchPage[FreelancerCard]:
    """`rank_freelancers` with the page read as `FreelancerCard`s, in two prepared queries
    (the profiles with their freelancers and accounts, and their skills)."""

    def load(keys: list[int]) -> dict[int, tuple[tuple[Any, ...], list[SkillTag]]]:
        skills = skill_tags_of(Profile.skills.through, "profile_id", keys)
        return {row[0]: (row, skills[row[0]]) for row in _CARD_ROWS.rows(keys=keys)}

    def card(
        loaded: tuple[tuple[Any, ...], list[SkillTag]], ranking: dict[str, Any]
    ) -> FreelancerCard:
        row, skills = loaded
        (profile_id, user_id, is_general, first_name, last_name, email, photo, title,
         overview, rate, verified_country, verified_city, country, city, jss, badges,
         earned) = row  # fmt: skip
        verified = bool(verified_country)
        return FreelancerCard(
            profile_id=profile_id,
            user_id=user_id,
            is_general=is_general,
            name=public_name_of(first_name, last_name, user_id),
            photo_url=_PHOTO.storage.url(photo) if photo else None,
            initials=initials_of(first_name, last_name, email),
            title=title,
            teaser=teaser(overview, TEASER_LENGTH),
            hourly_rate_cents=rate,
            skills=skills,
            country=(verified_country if verified else country) or "",
            city=verified_city if verified else city,
            location_verified=verified,
            jss_percent=jss,
            badges=badges_in_order(badges),
            total_earned_cents=earned,
            relevance=ranking.get("relevance"),
            quality=ranking["quality"],
            score=ranking["score"],
        )

    ranked = rank_freelancers(viewer=viewer, params=params)
    return load_page(ranked, key=itemgetter("pk"), load=load, hit=card)


# --- "how do I rank for this query?" ----------------------------------------------------


@dataclass(frozen=True)
class TermMatch:
    word: str  # as typed ("writing")
    term: str  # as indexed ("write")
    in_title: bool
    in_skills: bool
    in_overview: bool

    @property
    def found(self) -> bool:
        return self.in_title or self.in_skills or self.in_overview


@dataclass(frozen=True)
class RankExplanation:
    query_text: str
    terms: list[TermMatch]
    appears: bool  # the profile is in the results for this query as signed-in members see them
    title_weight: Decimal
    skills_weight: Decimal
    overview_weight: Decimal
    relevance: float | None  # None without text or when a term is missing
    jss_percent: int | None
    quality: float
    quality_reason: str
    score: float | None
    position: int | None  # 1-based rank among the results, None when not in them
    total_results: int
    tips: list[str] = field(default_factory=list)


def _quality_reason(policy: RankingPolicy, jss_percent: int | None) -> str:
    if jss_percent is None:
        return (
            f"No Job Success Score yet: quality is {policy.quality_without_score}, so new "
            "freelancers are not buried."
        )
    return (
        f"Job Success Score {jss_percent}%: quality = {policy.quality_base} + "
        f"{policy.quality_jss_share} x {jss_percent}/100 = {_quality(policy, jss_percent):.3f}."
    )


def _catalog_skills_in_query(query: ParsedQuery) -> list[Skill]:
    """Catalog skills whose every word is among the query terms ("react native" →
    React Native, React)."""
    terms = set(query.terms)
    return [
        skill
        for skill in Skill.objects.order_by("name")
        if (skill_terms := tokens(skill.name)) and set(skill_terms) <= terms
    ]


def _quote(words: list[str]) -> str:
    return ", ".join(f"“{word}”" for word in words)


def _tips(
    *,
    profile: Profile,
    matches: list[TermMatch],
    query: ParsedQuery,
    policy: RankingPolicy,
) -> list[str]:
    tips: list[str] = []
    freelancer = profile.freelancer
    if freelancer.visibility == Visibility.PRIVATE:
        tips.append(
            "Your profile is private, so it appears in no search: make it public "
            "(or visible to members only)."
        )
    elif freelancer.visibility == Visibility.MEMBERS:
        tips.append(
            "Only signed-in members can find you; make your profile public to also appear "
            "to visitors."
        )
    if missing := [match.word for match in matches if not match.found]:
        tips.append(
            f"You do not appear for this query: {_quote(missing)} is not in your title, skills "
            "or overview, and every word of a query must be found."
        )
    if not_in_title := [match.word for match in matches if not match.in_title]:
        tips.append(
            f"Put the service name first in your title ({_quote(not_in_title)} is not in it): "
            f"a word in the title counts {policy.title_weight}x against "
            f"{policy.overview_weight}x in the overview."
        )
    owned = {skill.pk for skill in profile.skills.all()}
    for skill in _catalog_skills_in_query(query):
        if skill.pk in owned:
            continue
        if len(owned) < MAX_SKILLS:
            tips.append(f"Add the skill “{skill.name}” to your profile.")
        else:
            tips.append(f"Swap one of your {MAX_SKILLS} skills for “{skill.name}”.")
    if not_in_overview := [match.word for match in matches if not match.in_overview]:
        if len(profile.overview.split()) < SHORT_OVERVIEW_WORDS:
            tips.append(
                f"Write a longer overview (at least {SHORT_OVERVIEW_WORDS} words) mentioning "
                f"{_quote(not_in_overview)}."
            )
        else:
            tips.append(f"Mention {_quote(not_in_overview)} in your overview.")
    if not freelancer.user.verified_country:
        tips.append(
            "Get your location verified: clients who filter by country (for example “US only”) "
            "do not see you until then."
        )
    if profile.hourly_rate_cents is None:
        tips.append(
            "Set an hourly rate: clients who filter by rate do not see profiles without one."
        )
    return tips


def explain_rank(*, profile: Profile, query_text: str, viewer: Viewer) -> RankExplanation:
    """Why `profile` ranks where it does for `query_text`, with tips to rank better. Only the
    profile's own freelancer (or staff) may ask; the position is among the results a
    signed-in member sees for the bare query, which is what the viewer sees too."""
    owner_id = profile.freelancer.user_id
    is_staff = viewer is not None and viewer.is_staff
    if not (is_staff or (viewer is not None and viewer.pk == owner_id)):
        raise NotFound("There is no such profile.")
    now = clock.now()
    policy = ranking_policy_at(now)
    query = parse_query(query_text)
    title_terms = set(tokens(profile.title))
    skill_terms = {term for skill in profile.skills.all() for term in tokens(skill.name)}
    overview_terms = set(tokens(profile.overview))
    matches = [
        TermMatch(
            word=word,
            term=term,
            in_title=term in title_terms,
            in_skills=term in skill_terms,
            in_overview=term in overview_terms,
        )
        for term, word in zip(query.terms, query.words, strict=True)
    ]

    results = _results(viewer=viewer, params=FreelancerSearchParams(text=query_text), now=now)
    row = (
        results.filter(pk=profile.pk)
        .values("score", "quality", "created_at", *(["relevance"] if query else []))
        .first()
    )
    position = None
    if row is not None:
        ahead = (
            Q(score__gt=row["score"])
            | Q(score=row["score"], quality__gt=row["quality"])
            | Q(score=row["score"], quality=row["quality"], created_at__gt=row["created_at"])
            | Q(
                score=row["score"],
                quality=row["quality"],
                created_at=row["created_at"],
                pk__gt=profile.pk,
            )
        )
        position = results.filter(ahead).count() + 1
    jss = profile.freelancer.jss_percent
    return RankExplanation(
        query_text=query_text,
        terms=matches,
        appears=row is not None,
        title_weight=policy.title_weight,
        skills_weight=policy.skills_weight,
        overview_weight=policy.overview_weight,
        relevance=row.get("relevance") if row else None,
        jss_percent=jss,
        quality=_quality(policy, jss),
        quality_reason=_quality_reason(policy, jss),
        score=row["score"] if row else None,
        position=position,
        total_results=results.count(),
        tips=_tips(profile=profile, matches=matches, query=query, policy=policy),
    )
