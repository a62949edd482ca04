"""`manage.py demo_load`: a believable marketplace to click through and search.

At full scale: 300 freelancers with profiles (titles, overviews, skills, rates, portfolio,
history, photos, specialized profiles, verified locations), 100 clients with company
profiles, 400 job posts across every category and state, and some client money; then
Connects (welcome grants, purchases, a few Plus plans), about 800 proposals in every state
with interviews and their messages, invitations accepted, declined and waiting, and a few
posts closed without a hire whose Connects came back; then about 80 offers, the contracts
they started with milestones in every state, released payments, withdrawal methods and
payouts (paid, returned, on their way). Before those, the freelancers' past work: contracts
over the last two years, paid, ended and given feedback at the dates they happened, from
which their earnings, Job Success Scores and reviews and their clients' signals are computed.

Idempotent: every row is found by a natural key (an email address, a client's job title, a
fixed idempotency key for money), so running it again creates and books nothing new. A
freelancer or client whose profile exists is left alone (demo accounts someone edited keep
their edits). All text comes from `random.Random` and Faker generators seeded per object,
so the demo is the same on every machine; only dates are relative to the day of the load.

Everything goes through the domain services; no statistic is stated. What the outbox worker
and the scheduler would do with the load's events the load does itself at the end (the
`statistics` section), since the worker does not run during a load.

The data is built by SECTIONS, run in order under one progress bar. To add demo data for
a new feature, write a generator `_section_x(ctx)` that yields once per unit of work, and
append a `Section` to SECTIONS with how many units it has for a given scale.
"""

from __future__ import annotations

import io
import math
import random
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils.text import slugify
from faker import Faker
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter
from tqdm import tqdm

from openlance.accounts.models import User
from openlance.accounts.services import (
    location_verification_approve,
    location_verification_reject,
    location_verification_submit,
    user_set_roles,
)
from openlance.billing.cards import BALANCE, card_save
from openlance.billing.connects import connects_bundle_buy, connects_plus_subscribe
from openlance.billing.gateway import sandbox_payout_set_status
from openlance.billing.models import Payout, PayoutSchedule, WithdrawalMethodKind
from openlance.billing.payouts import (
    earnings_release_run_due,
    method_fee,
    payout_settings_update,
    payout_sync,
    withdrawal_create,
    withdrawal_method_add,
)
from openlance.billing.services import CARD_DEPOSIT, funds_deposit
from openlance.catalog.models import Skill
from openlance.connects.pricing import proposal_cost
from openlance.connects.selectors import connects_account, connects_balance
from openlance.connects.services import connects_expiry_run_due, connects_welcome_grant
from openlance.contracts.amendments import amendment_accept, amendment_propose
from openlance.contracts.endings import contract_end
from openlance.contracts.milestones.funding import milestone_fund, milestone_funding_quote
from openlance.contracts.milestones.release import Remainder, milestone_approve
from openlance.contracts.milestones.submissions import (
    milestone_request_changes,
    milestone_resubmit,
    milestone_submit,
)
from openlance.contracts.models import AmendmentState, Contract, ContractKind, Milestone, Offer
from openlance.contracts.offers.services import (
    OFFERABLE_PROPOSAL_STATES,
    MilestoneTerms,
    OfferTerms,
    offer_accept,
    offer_decline,
    offer_expiry_run_due,
    offer_send,
    offer_withdraw,
)
from openlance.core import clock
from openlance.core.money import Money
from openlance.core.policies import connects_policy_at, jss_policy_at
from openlance.core.services import (
    database_statistics_refresh,
    outbox_drain_batch,
    outbox_drain_deferred,
)
from openlance.jobs.models import BudgetType, JobPost, JobState, JobVisibility
from openlance.jobs.services import JobDraft, job_close, job_create, job_expiry_run_due
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.messaging.models import Conversation
from openlance.messaging.services import message_send
from openlance.profiles.models import Availability, ClientProfile, Freelancer, Visibility
from openlance.profiles.services import (
    assessment_add,
    client_payment_method_verify,
    client_profile_start,
    client_profile_update,
    education_add,
    employment_add,
    freelancer_set_photo,
    freelancer_start,
    freelancer_update,
    other_experience_add,
    portfolio_item_save,
    profile_search_fields_rebuild,
    profile_update,
    specialized_profile_create,
)
from openlance.proposals.models import Invitation, Proposal
from openlance.proposals.services import (
    ProposalDraft,
    invitation_accept,
    invitation_decline,
    invitation_send,
    proposal_archive,
    proposal_decline,
    proposal_message,
    proposal_shortlist,
    proposal_submit,
    proposal_withdraw,
    proposals_job_closed,
)
from openlance.reputation.badges import week_start
from openlance.reputation.models import JssReason
from openlance.reputation.services import (
    badges_run_due,
    jss_ageing_run_due,
    jss_backfill,
    jss_recompute,
    jss_snapshots_run_due,
)
from openlance.reviews.models import (
    FEEDBACK_WINDOW,
    ClientFeedbackFlag,
    EndReason,
    Feedback,
    FeedbackDirection,
)
from openlance.reviews.services import (
    client_feedback_flag,
    feedback_reveal_run_due,
    feedback_submit,
)
from openlance.web.management import demo_disputes, demo_hourly
from openlance.web.management import demo_text as text
from openlance.web.management.demo_hourly import story_exists
from openlance.web.management.demo_text import PLACES, SPECIALTY_BY_KEY, Specialty

DEMO_PASSWORD = "openlance-demo"
DEMO_DOMAIN = "openlance.local"
OPERATOR_EMAIL = f"admin@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class Scale:
    freelancers: int
    clients: int
    jobs: int


# "small" is for tests and quick looks; both share the first accounts and their data.
SCALES = {"full": Scale(freelancers=300, clients=100, jobs=400), "small": Scale(40, 12, 60)}

# Staff group (created by migration accounts.0002) -> the demo staff member's mailbox.
STAFF_MEMBERS = {
    "Support": "support",
    "Mediator": "mediator",
    "Verifier": "verifier",
    "Finance": "finance",
    "Policy admin": "policy-admin",
}

# The first demo accounts predate the larger demo; their names come from these locales by
# number (kept so that they keep their names), and their countries follow the locale.
LOCALES = ["en_US", "en_GB", "de_DE", "es_ES", "fr_FR", "it_IT", "pt_BR", "pl_PL", "nl_NL"]
LEGACY_FREELANCERS = 20
LEGACY_CLIENTS = 8
LOCALE_COUNTRY = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "es_ES": "ES",
    "fr_FR": "FR",
    "it_IT": "IT",
    "pt_BR": "BR",
    "pl_PL": "PL",
    "nl_NL": "NL",
}

# Verified US content writers: the "content writing" + "US only" search always finds them.
# freelancer01 is the one to sign in as; all have complete, public profiles.
US_CONTENT_WRITERS = (1, 9, 18, 24, 37, 52, 75, 110, 160, 215, 270)
PENDING_VERIFICATION = 30  # the one request left waiting in the verifier's queue
REJECTION_REASONS = (
    "The proof of address is older than three months; upload a recent utility bill or "
    "bank statement.",
    "The name on the proof of address does not match the name on the account.",
    "The identity document is cut off; upload a photo that shows all four corners.",
    "The address on the document is in a different city from the one you entered.",
)

# (client number, amount in cents): top-ups through the sandbox gateway with a test card.
DEPOSITS = [(1, 250_000), (2, 120_000), (3, 75_000), (4, 500_000), (1, 60_000)]
DEPOSIT_CARD = "pm_card_visa"

# Seeded generators are keyed by these strings; changing one changes that part of the demo.
SEED = "openlance-demo"


def freelancer_email(number: int) -> str:
    return f"freelancer{number:02d}@{DEMO_DOMAIN}"


def client_email(number: int) -> str:
    return f"client{number:02d}@{DEMO_DOMAIN}"


def staff_email(group: str) -> str:
    return f"{STAFF_MEMBERS[group]}@{DEMO_DOMAIN}"


def _rng(*key: object) -> random.Random:
    # Seeded on purpose: the same demo on every machine (not for anything secret).
    return random.Random(":".join([SEED, *map(str, key)]))  # noqa: S311


@dataclass
class DemoContext:
    password: str
    scale: Scale = SCALES["full"]
    now: datetime = field(default_factory=clock.now)
    _password_hash: str = ""
    created: dict[str, int] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    _fakers: dict[str, Faker] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        self.created.setdefault(what, 0)
        if created:
            self.created[what] += 1

    @property
    def password_hash(self) -> str:
        # Hashed once and shared: Argon2 is slow on purpose, and these are demo accounts.
        if not self._password_hash:
            self._password_hash = make_password(self.password)
        return self._password_hash

    def person(self, key: str, number: int, locale: str | None = None) -> Faker:
        """A Faker for one demo person: same seed, same name, on every run. Use it before
        asking for the next person (the instance is shared per locale and reseeded)."""
        locale = locale or LOCALES[number % len(LOCALES)]
        fake = self._fakers.get(locale)
        if fake is None:
            fake = self._fakers[locale] = Faker(locale)
        fake.seed_instance(f"{SEED}:{key}:{number}")
        return fake

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)


@dataclass(frozen=True)
class Section:
    name: str
    steps: Callable[[Scale], int]
    run: Callable[[DemoContext], Iterator[None]]


def _user(
    ctx: DemoContext,
    *,
    email: str,
    first_name: str,
    last_name: str,
    what: str,
    **flags: Any,
) -> User:
    """The demo user with this email, created (with a verified address) if missing.
    An existing user is left as it is: a demo account someone edited keeps their edits."""
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        created = user is None
        if user is None:
            user = User.objects.create(
                email=email,
                password=ctx.password_hash,
                first_name=first_name,
                last_name=last_name,
                **flags,
            )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    ctx.count(what, created)
    ctx.users[email] = user
    return user


def _name(ctx: DemoContext, key: str, number: int, legacy: int, country: str) -> tuple[str, str]:
    if number <= legacy:
        fake = ctx.person(key, number)
    elif not PLACES[country].locale:  # Ukraine: Latin-script names from our own list
        rng = _rng(key, "name", number)
        return rng.choice(text.UKRAINIAN_FIRST_NAMES), rng.choice(text.UKRAINIAN_LAST_NAMES)
    else:
        fake = ctx.person(key, number, PLACES[country].locale)
    return fake.first_name(), fake.last_name()


def _days(rng: random.Random, low: float, high: float) -> float:
    return rng.uniform(low, high)


# --- uploads made in memory ------------------------------------------------------------

AVATAR_COLOURS = [
    (38, 70, 83),
    (42, 157, 143),
    (233, 196, 106),
    (244, 162, 97),
    (231, 111, 81),
    (69, 123, 157),
    (29, 53, 87),
    (106, 76, 147),
    (25, 130, 196),
    (138, 201, 38),
    (255, 89, 94),
    (96, 108, 56),
]


@cache
def _avatar_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=100)


def _initial(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return (ascii_name[:1] or "?").upper()


def avatar_upload(first_name: str, last_name: str, colour_index: int) -> SimpleUploadedFile:
    """A square photo stand-in: the person's initials on a solid colour."""
    image = Image.new("RGB", (240, 240), AVATAR_COLOURS[colour_index % len(AVATAR_COLOURS)])
    draw = ImageDraw.Draw(image)
    initials = _initial(first_name) + _initial(last_name)
    draw.text((120, 124), initials, fill=(255, 255, 255), font=_avatar_font(), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _proof_of_address() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", (120, 160), (250, 250, 245))
    ImageDraw.Draw(image).rectangle((10, 10, 110, 30), fill=(200, 200, 200))
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("utility-bill.png", buffer.getvalue(), content_type="image/png")


@cache
def _document_pdf() -> bytes:
    """A blank A4 page: uploads are parsed as PDFs, so a stand-in must be a real one."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _identity_document() -> SimpleUploadedFile:
    return SimpleUploadedFile("passport.pdf", _document_pdf(), content_type="application/pdf")


# --- freelancers -----------------------------------------------------------------------


@dataclass(frozen=True)
class PastContract:
    """A fixed-price contract a freelancer finished before today, one milestone: the client
    who hired them (0: one the load picks among those who had joined by then), when it
    ended (days ago), how many days it ran, what it was worth, and how it went: the
    feedback the client leaves (a `PAST_OUTCOMES` key) and whether the freelancer rates
    the client too. What the profile, the score and the client's signals show comes from
    playing these through the services."""

    client: int
    ended: float
    days: int
    dollars: int
    outcome: str
    rated_client: bool = True


# How a past contract went, by the feedback its client leaves: public ratings (the six
# attributes between these bounds, so the overall falls in its class) and the private part.
# "negative" is a botched contract (changes asked, then part approved and the rest
# refunded); "unfounded" is poor feedback on work approved in full (the flagged client's).
PAST_OUTCOMES: dict[str, tuple[tuple[int, int] | None, tuple[int, int] | None]] = {
    # outcome: ((lowest, highest) star, (lowest, highest) recommend), None: that part is left out
    "positive": ((4, 5), (9, 10)),
    "neutral": ((3, 5), (6, 8)),
    "negative": ((1, 3), (1, 4)),
    "unfounded": ((1, 2), (0, 2)),
    "private": (None, (9, 10)),
    "none": (None, None),
}
PAST_OUTCOME_SHARES = {"positive": 72, "neutral": 12, "negative": 5, "private": 6, "none": 5}
PAST_CONTRACTS = {"1": 25, "2": 40, "3": 25, "4": 10}  # finished contracts per freelancer
# Share of the freelancers beyond the small demo who have past work (seeded per freelancer).
PAST_WORK_SHARE = 0.07
# The client a mediator flags for poor feedback that the work does not support: it stays
# visible and stops counting for the freelancers' scores.
FLAGGED_CLIENT = 11
FLAGGED_AFTER_DAYS = 100  # days ago
# The track records of the small demo's freelancers, written out so that every case shows
# even there. The score shown is the best of three windows, so a middling one needs its
# weaker contracts among the recent ones.
SHOWCASE: dict[int, tuple[PastContract, ...]] = {
    1: (  # high, and Top Rated Plus: $10,300 in the last year, one contract of $6,500
        PastContract(2, 290, 30, 1_200, "positive"),
        PastContract(5, 150, 21, 3_800, "positive"),
        PastContract(3, 55, 25, 6_500, "positive"),
    ),
    3: (  # high: a small neutral contract among large positive ones
        PastContract(4, 420, 40, 3_000, "positive"),
        PastContract(6, 230, 30, 1_500, "positive"),
        PastContract(7, 95, 10, 200, "neutral"),
    ),
    4: (  # middling, with private-only feedback
        PastContract(2, 330, 30, 900, "positive"),
        PastContract(9, 200, 14, 600, "private"),
        PastContract(8, 75, 35, 1_100, "neutral"),
    ),
    6: (  # dropped: a botched contract after two good ones
        PastContract(3, 400, 45, 1_500, "positive"),
        PastContract(10, 200, 30, 1_000, "positive"),
        PastContract(9, 35, 20, 1_800, "negative", rated_client=False),
    ),
    8: (  # the flagged client's poor feedback stops counting
        PastContract(2, 260, 20, 700, "positive"),
        PastContract(5, 180, 30, 1_000, "positive"),
        PastContract(FLAGGED_CLIENT, 120, 25, 900, "unfounded"),
    ),
    10: (  # the other contract alone is below the minimum: no score yet
        PastContract(6, 300, 30, 1_200, "positive"),
        PastContract(FLAGGED_CLIENT, 150, 20, 500, "unfounded"),
    ),
    14: (PastContract(9, 80, 20, 600, "positive"),),  # one contract: no score yet
    19: (  # the client left no feedback, so only one contract counts: no score yet
        PastContract(3, 170, 20, 800, "none"),
        PastContract(5, 70, 14, 900, "positive"),
    ),
}


@dataclass
class FreelancerPlan:
    """Everything about one demo freelancer, decided up front from their seeded generator."""

    number: int
    email: str
    first_name: str
    last_name: str
    country: str
    city: str
    time_zone: str
    specialty: Specialty
    joined: datetime
    years: int
    rate_cents: int
    skill_count: int
    availability: str
    available_now: bool
    english_level: str
    visibility: str
    photo: bool
    portfolio_count: int
    assessments: int
    employment: int
    education: bool
    other_experience: bool
    specialized: list[Specialty]
    verification: str  # "approved", "rejected", "pending" or ""
    past_work: tuple[PastContract, ...]

    @property
    def place(self) -> text.Place:
        return PLACES[self.country]


def _rate_cents(rng: random.Random, specialty: Specialty, country: str) -> int:
    low, high = specialty.rate
    dollars = rng.uniform(low, high) * PLACES[country].rate_factor
    dollars = min(150, max(10, dollars))
    step = 5 if dollars >= 40 else 1
    return int(round(dollars / step) * step) * 100


def _past_work(rng: random.Random) -> tuple[PastContract, ...]:
    """A freelancer's finished contracts over the last two years, oldest first."""
    count = int(text.weighted(rng, PAST_CONTRACTS))
    ended = sorted((rng.uniform(20, 680) for _ in range(count)), reverse=True)
    return tuple(
        PastContract(
            client=0,
            ended=days,
            days=rng.randint(7, 60),
            dollars=int(math.exp(rng.uniform(math.log(150), math.log(6_000)))) // 25 * 25,
            outcome=text.weighted(rng, PAST_OUTCOME_SHARES),
            rated_client=rng.random() < 0.9,
        )
        for days in ended
    )


def freelancer_plan(ctx: DemoContext, number: int) -> FreelancerPlan:
    rng = _rng("freelancer", number)
    writer = number in US_CONTENT_WRITERS
    if writer:
        country = "US"
    elif number <= LEGACY_FREELANCERS:
        country = LOCALE_COUNTRY[LOCALES[number % len(LOCALES)]]
    else:
        country = text.weighted(rng, text.FREELANCER_COUNTRIES)
    first_name, last_name = _name(ctx, "freelancer", number, LEGACY_FREELANCERS, country)
    place = PLACES[country]
    city, time_zone = rng.choice(place.cities)
    specialty = SPECIALTY_BY_KEY["content-writer"] if writer else text.pick_specialty(rng)

    if number % 37 == 5:
        verification = "rejected"
    elif number == PENDING_VERIFICATION:
        verification = "pending"
    elif writer or rng.random() < (0.75 if country == "US" else 0.55):
        verification = "approved"
    else:
        verification = ""

    visibility_roll = rng.random()
    visibility = Visibility.PUBLIC
    if not writer and visibility_roll < 0.04:
        visibility = Visibility.PRIVATE
    elif not writer and visibility_roll < 0.12:
        visibility = Visibility.MEMBERS

    availability = rng.choices(
        [Availability.FULL_TIME, Availability.PART_TIME, Availability.NOT_AVAILABLE],
        weights=[45, 45, 10],
    )[0]
    photo = writer or rng.random() < 0.45
    portfolio_count = max(1 if writer else 0, rng.choice([0, 0, 1, 1, 2, 2, 3]))
    employment = max(1 if writer else 0, rng.choice([0, 0, 1, 1, 2]))
    education = writer or rng.random() < 0.55

    specialized: list[Specialty] = []
    roll = rng.random()
    if roll < 0.2 or number == 1:
        related = [SPECIALTY_BY_KEY[key] for key in specialty.related] or [
            s for s in text.SPECIALTIES if s.category == specialty.category and s != specialty
        ]
        count = 2 if (roll < 0.05 or number == 1) else 1
        specialized = rng.sample(related, k=min(count, len(related)))

    rate_cents = _rate_cents(rng, specialty, country)
    past_work = SHOWCASE.get(number, ())
    if rng.random() < PAST_WORK_SHARE and number > SCALES["small"].freelancers:
        past_work = _past_work(rng)
    # Without past work, a freelancer joined recently (the auto-private rule of SPEC §2.1
    # would hide anyone without earnings for 90 days); with it, some time before it began.
    joined_days = _days(rng, 6, 80)
    if past_work:
        first = max(work.ended + work.days for work in past_work)
        joined_days = first + _days(rng, 15, 400)
    return FreelancerPlan(
        number=number,
        email=freelancer_email(number),
        first_name=first_name,
        last_name=last_name,
        country=country,
        city=city,
        time_zone=time_zone,
        specialty=specialty,
        joined=ctx.ago(joined_days),
        years=rng.randint(2, 15),
        rate_cents=rate_cents,
        skill_count=rng.randint(3, 12),
        availability=availability,
        available_now=availability != Availability.NOT_AVAILABLE and rng.random() < 0.8,
        english_level=rng.choice(place.english),
        visibility=visibility,
        photo=photo,
        portfolio_count=portfolio_count,
        assessments=rng.choice([0, 0, 0, 1, 1, 2]),
        employment=employment,
        education=education,
        other_experience=rng.random() < 0.1,
        specialized=specialized,
        verification=verification,
        past_work=past_work,
    )


def _slugs(names: list[str]) -> list[str]:
    return [slugify(name) or name.lower() for name in names]


def _build_freelancer(ctx: DemoContext, plan: FreelancerPlan, user: User, verifier: User) -> None:
    """The freelancer's whole profile, through the profile and verification services."""
    rng = _rng("freelancer-profile", plan.number)
    spec = plan.specialty
    today = ctx.now.date()
    with clock.frozen_at(plan.joined):
        freelancer = freelancer_start(user=user)
    # The verified location comes first, so that the profile services called after it see
    # it (and copy it wherever they keep copies).
    if plan.verification:
        _verify(ctx, plan, user, verifier)
        user.refresh_from_db()
    freelancer_update(
        freelancer=freelancer,
        country=plan.country,
        city=plan.city,
        time_zone=plan.time_zone,
        intro_video_url="",
        availability=plan.availability,
        available_now=plan.available_now,
        english_level=plan.english_level,
        visibility=plan.visibility,
    )
    if plan.photo:
        freelancer_set_photo(
            freelancer=freelancer,
            upload=avatar_upload(user.first_name, user.last_name, plan.number),
        )

    skills = text.profile_skills(rng, spec, plan.skill_count)
    site = slugify(f"{user.first_name}{user.last_name}") or f"freelancer{plan.number}"
    portfolio_ids = []
    for title in rng.sample(spec.portfolio, k=min(plan.portfolio_count, len(spec.portfolio))):
        item = portfolio_item_save(
            freelancer=freelancer,
            title=title,
            description=text.portfolio_description(rng, spec),
            link=f"https://{site}.example.com/{rng.choice(text.PORTFOLIO_LINK_HOSTS)}/"
            f"{slugify(title)}",
            skill_slugs=_slugs(skills[: rng.randint(1, 3)]),
        )
        portfolio_ids.append(item.pk)

    general = freelancer.profiles.get(is_general=True)

    def overview(specialty: Specialty, *, long: bool) -> str:
        return text.profile_overview(
            rng,
            specialty,
            first_name=user.first_name,
            years=plan.years,
            city=plan.city,
            country=text.place_label(plan.country),
            long=long,
        )

    profile_update(
        profile=general,
        title=text.profile_title(rng, spec),
        overview=overview(spec, long=True),
        hourly_rate_cents=plan.rate_cents,
        skill_slugs=_slugs(skills),
    )
    for index, other in enumerate(plan.specialized, start=1):
        factor = rng.uniform(0.85, 1.3)
        with clock.frozen_at(min(plan.joined + timedelta(days=20 * index), ctx.now)):
            specialized_profile_create(
                freelancer=freelancer,
                title=text.profile_title(rng, other),
                overview=overview(other, long=False),
                hourly_rate_cents=max(1000, int(plan.rate_cents * factor) // 100 * 100),
                skill_slugs=_slugs(text.profile_skills(rng, other, rng.randint(3, 8))),
                portfolio_item_ids=portfolio_ids[:1],
            )

    for name in rng.sample(spec.assessments, k=min(plan.assessments, len(spec.assessments))):
        assessment_add(
            freelancer=freelancer,
            name=name,
            score=rng.randint(62, 100),
            taken_on=today - timedelta(days=rng.randint(30, 900)),
        )
    end = today - timedelta(days=365 * plan.years)
    for index in range(plan.employment):
        started = end - timedelta(days=rng.randint(300, 1500))
        employment_add(
            freelancer=freelancer,
            company=rng.choice(
                [
                    ctx.person("company", plan.number * 10 + index, "en_US").company(),
                    f"{rng.choice(text.COMPANY_WORDS)} {rng.choice(text.COMPANY_SUFFIXES)}",
                ]
            ),
            role=text.employment_role(rng, spec),
            started_on=started,
            ended_on=None if index == 0 and rng.random() < 0.2 else end,
            description=text.employment_description(rng, spec),
        )
        end = started - timedelta(days=rng.randint(0, 120))
    if plan.education:
        start_year = today.year - plan.years - rng.randint(4, 9)
        education_add(
            freelancer=freelancer,
            school=rng.choice(plan.place.schools),
            degree=rng.choice(text.DEGREES),
            field_of_study=rng.choice(text.FIELDS_OF_STUDY[spec.category]),
            start_year=start_year,
            end_year=start_year + rng.choice([3, 4, 4, 5]),
        )
    if plan.other_experience:
        subject, description = rng.choice(text.OTHER_EXPERIENCE)
        other_experience_add(freelancer=freelancer, subject=subject, description=description)


def _verify(ctx: DemoContext, plan: FreelancerPlan, user: User, verifier: User) -> None:
    rng = _rng("verification", plan.number)
    if plan.verification == "pending":
        submitted, reviewed = ctx.ago(_days(rng, 0.2, 2)), None
    else:
        submitted = min(plan.joined + timedelta(days=_days(rng, 0.5, 5)), ctx.ago(1))
        reviewed = min(submitted + timedelta(hours=_days(rng, 2, 60)), ctx.ago(0.5))
    with clock.frozen_at(submitted):
        verification = location_verification_submit(
            user=user,
            country=plan.country,
            city=plan.city,
            id_document=_identity_document(),
            proof_of_address=_proof_of_address(),
        )
    if reviewed is None:
        ctx.count("location verifications", True)
        return
    with clock.frozen_at(reviewed):
        if plan.verification == "approved":
            location_verification_approve(verification=verification, reviewer=verifier)
        else:
            location_verification_reject(
                verification=verification,
                reviewer=verifier,
                reason=REJECTION_REASONS[plan.number % len(REJECTION_REASONS)],
            )
    ctx.count("location verifications", True)


def _section_freelancers(ctx: DemoContext) -> Iterator[None]:
    verifier = User.objects.get(email=staff_email("Verifier"))
    with_profile = set(Freelancer.objects.values_list("user__email", flat=True))
    for number in range(1, ctx.scale.freelancers + 1):
        plan = freelancer_plan(ctx, number)
        user = _user(
            ctx,
            email=plan.email,
            first_name=plan.first_name,
            last_name=plan.last_name,
            what="freelancers",
            date_joined=plan.joined,
        )
        if not user.roles:
            user_set_roles(user=user, freelancer=True, client=False)
        built = False
        if user.email not in with_profile and user.is_freelancer:
            with transaction.atomic():
                _build_freelancer(ctx, plan, user, verifier)
            built = True
        ctx.count("freelancer profiles", built)
        yield


# --- clients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPlan:
    number: int
    email: str
    first_name: str
    last_name: str
    country: str
    city: str
    time_zone: str
    company: str
    industry: text.Industry
    website: str
    joined: datetime


def client_plan(ctx: DemoContext, number: int) -> ClientPlan:
    rng = _rng("client", number)
    if number <= LEGACY_CLIENTS:
        country = LOCALE_COUNTRY[LOCALES[number % len(LOCALES)]]
    else:
        country = text.weighted(rng, text.CLIENT_COUNTRIES)
    first_name, last_name = _name(ctx, "client", number, LEGACY_CLIENTS, country)
    city, time_zone = rng.choice(PLACES[country].cities)
    company = ""
    if rng.random() < 0.75:
        locale = PLACES[country].locale or "en_US"
        company = rng.choice(
            [
                ctx.person("client-company", number, locale).company(),
                f"{rng.choice(text.COMPANY_WORDS)} {rng.choice(text.COMPANY_SUFFIXES)}",
            ]
        )
    website = ""
    if company and rng.random() < 0.8:
        website = f"https://www.{slugify(company) or 'company'}.example.com"
    return ClientPlan(
        number=number,
        email=client_email(number),
        first_name=first_name,
        last_name=last_name,
        country=country,
        city=city,
        time_zone=time_zone,
        company=company,
        industry=rng.choice(text.INDUSTRIES),
        website=website,
        joined=ctx.ago(_days(rng, 30, 2200)),
    )


def _section_clients(ctx: DemoContext) -> Iterator[None]:
    with_profile = set(ClientProfile.objects.values_list("user__email", flat=True))
    for number in range(1, ctx.scale.clients + 1):
        plan = client_plan(ctx, number)
        user = _user(
            ctx,
            email=plan.email,
            first_name=plan.first_name,
            last_name=plan.last_name,
            what="clients",
            date_joined=plan.joined,
        )
        if not user.roles:
            user_set_roles(user=user, freelancer=False, client=True)
        built = False
        if user.email not in with_profile and user.is_client:
            with transaction.atomic():
                with clock.frozen_at(plan.joined):
                    profile = client_profile_start(user=user)
                client_profile_update(
                    client_profile=profile,
                    company_name=plan.company,
                    country=plan.country,
                    city=plan.city,
                    time_zone=plan.time_zone,
                    website=plan.website,
                    description=text.client_description(
                        _rng("client-text", number), plan.industry, plan.company
                    ),
                )
            built = True
        ctx.count("client profiles", built)
        yield


def _section_deposits(ctx: DemoContext) -> Iterator[None]:
    for index, (number, cents) in enumerate(DEPOSITS, start=1):
        user = User.objects.get(email=client_email(number))
        before = Transfer.objects.count()
        funds_deposit(
            user=user,
            amount=Money(cents),
            payment_method=DEPOSIT_CARD,
            key=f"demo-deposit-{index}",
        )
        added = Transfer.objects.count() > before
        if added:
            # The client kept the card they paid with, so the payment forms offer it.
            card_save(user=user, payment_method=DEPOSIT_CARD)
        ctx.count("deposits", added)
        yield


# --- job posts -------------------------------------------------------------------------

JOB_STATES = {  # share of posts in each state
    "open": 74,
    "draft": 8,
    "closed_hired": 8,
    "closed_no_hire": 6,
    "expired": 4,
}
DURATIONS_BY_SIZE = {
    "small": {"less_than_1_month": 70, "one_to_3_months": 30},
    "medium": {"less_than_1_month": 15, "one_to_3_months": 55, "three_to_6_months": 30},
    "large": {"one_to_3_months": 15, "three_to_6_months": 40, "more_than_6_months": 45},
}
FIXED_BUDGET_DOLLARS = {"small": (50, 800), "medium": (800, 5_000), "large": (5_000, 25_000)}
LEVEL_FACTOR = {"entry": 0.6, "intermediate": 1.0, "expert": 1.6}
RESTRICTIONS = {  # client country -> the lists of countries its restricted posts accept
    "US": [["US"], ["US"], ["US"], ["US", "CA"]],
    "GB": [["GB"], ["GB", "IE"]],
    "CA": [["CA", "US"], ["CA"]],
    "AU": [["AU", "NZ"]],
    "DE": [["DE", "AT", "CH"]],
    "CH": [["DE", "AT", "CH"]],
}


@dataclass(frozen=True)
class JobPlan:
    index: int
    client_number: int
    state: str
    created_at: datetime  # created and, unless a draft, published
    closed_at: datetime | None
    specialty: Specialty
    draft: JobDraft


def _budget(rng: random.Random, spec: Specialty, size: str, level: str) -> dict[str, int | None]:
    if rng.random() < 0.55:
        low, high = FIXED_BUDGET_DOLLARS[size]
        dollars = math.exp(rng.uniform(math.log(low), math.log(high))) * LEVEL_FACTOR[level]
        step = 5 if dollars < 200 else 25 if dollars < 2_000 else 250
        return {"budget_cents": max(10, round(dollars / step) * step) * 100}
    rate = rng.uniform(*spec.rate) * LEVEL_FACTOR[level] * 0.8
    low_dollars = int(min(130, max(10, rate)))
    high_dollars = min(150, low_dollars + rng.choice([5, 10, 15, 20, 25, 35, 50]))
    return {"hourly_min_cents": low_dollars * 100, "hourly_max_cents": high_dollars * 100}


def job_plans(ctx: DemoContext, clients: dict[int, ClientPlan]) -> list[JobPlan]:
    """The demo's job posts, in order. Titles are unique per client: they are the key that
    tells a second run the post exists."""
    plans = []
    used: set[tuple[int, str]] = set()
    for index in range(1, ctx.scale.jobs + 1):
        rng = _rng("job", index)
        # Skewed towards the first clients: a few post a lot, most post a little.
        client_number = min(len(clients), int(len(clients) * rng.random() ** 1.7) + 1)
        client = clients[client_number]
        for _ in range(50):
            spec = text.pick_specialty(rng)
            title, topic = text.job_idea(rng, spec, client.industry)
            if (client_number, title) not in used:
                break
        else:
            raise CommandError(f"No unique title left for client {client_number}'s job posts.")
        used.add((client_number, title))

        state = text.weighted(rng, JOB_STATES)
        size = rng.choices(["small", "medium", "large"], weights=[45, 35, 20])[0]
        duration = text.weighted(rng, DURATIONS_BY_SIZE[size])
        level = rng.choices(["entry", "intermediate", "expert"], weights=[25, 50, 25])[0]
        budget = _budget(rng, spec, size, level)
        skills = text.profile_skills(rng, spec, rng.randint(2, 8))
        countries: list[str] = []
        if rng.random() < (0.2 if client.country == "US" else 0.1):
            countries = rng.choice(RESTRICTIONS.get(client.country, [[client.country], ["US"]]))
        questions: list[str] = []
        if rng.random() < 0.35:
            pool = [*spec.questions, *text.GENERAL_QUESTIONS]
            questions = rng.sample(pool, k=min(rng.randint(1, 3), len(pool)))
        hourly = "hourly_min_cents" in budget
        description = text.job_description(
            rng,
            spec,
            topic=topic,
            company=client.company,
            industry=client.industry,
            level=level,
            duration=duration,
            skills=skills,
            countries=countries,
            hours_per_week=rng.choice([10, 15, 20, 30, 40]) if hourly else None,
        )
        draft = JobDraft(
            title=title,
            description=description,
            category_slug=slugify(spec.category),
            size=size,
            duration=duration,
            experience_level=level,
            budget_type=BudgetType.HOURLY if hourly else BudgetType.FIXED,
            skill_slugs=_slugs(skills),
            countries=countries,
            visibility=JobVisibility.INVITE_ONLY if rng.random() < 0.04 else JobVisibility.PUBLIC,
            questions=questions,
            **budget,
        )

        closed_at = None
        if state == "open":  # spread over the last 30 days, more of them recent
            created = ctx.ago(29.5 * rng.random() ** 1.4 + 0.02)
        elif state == "draft":
            created = ctx.ago(_days(rng, 0.1, 20))
        elif state == "expired":  # no client activity for more than 30 days
            created = ctx.ago(_days(rng, 31, 55))
        else:
            created = ctx.ago(_days(rng, 12, 70))
            closed_at = min(created + timedelta(days=_days(rng, 2, 25)), ctx.ago(0.5))
        plans.append(JobPlan(index, client_number, state, created, closed_at, spec, draft))
    return plans


def _section_jobs(ctx: DemoContext) -> Iterator[None]:
    clients = {n: client_plan(ctx, n) for n in range(1, ctx.scale.clients + 1)}
    users = {u.email: u for u in User.objects.filter(email__in=[c.email for c in clients.values()])}
    existing = set(
        JobPost.objects.filter(client__in=users.values()).values_list("client__email", "title")
    )
    for plan in job_plans(ctx, clients):
        client = clients[plan.client_number]
        user = users.get(client.email)
        created = False
        if user is not None and user.is_client and (client.email, plan.draft.title) not in existing:
            with transaction.atomic():
                with clock.frozen_at(plan.created_at):
                    job = job_create(client=user, draft=plan.draft, publish=plan.state != "draft")
                if plan.closed_at is not None:
                    with clock.frozen_at(plan.closed_at):
                        job_close(job=job, hired=plan.state == "closed_hired")
            created = True
        ctx.count("job posts", created)
        yield


def _section_job_expiry(ctx: DemoContext) -> Iterator[None]:
    """The 30-day expiry rule, as the scheduler runs it: posts created more than 30 days
    ago with no client activity expire (and those at day 25 get their warning)."""
    result = job_expiry_run_due(now=ctx.now)
    ctx.created["expired job posts"] = result["expired"]
    yield


# --- pitching: Connects, proposals, invitations, interviews ---------------------------------

PITCH_CARD = "pm_card_visa"
TOP_UP_BUNDLE = 40
PROPOSALS_PER_POST = {0: 12, 1: 16, 2: 18, 3: 16, 4: 12, 5: 10, 6: 8, 8: 8}
# freelancer01 (the account to sign in as) pitches on the first open writing posts, and
# has one invitation waiting on the next one.
FREELANCER_ONE = 1
FREELANCER_ONE_POSTS = 4
PLUS_SUBSCRIBERS = (2, 7, 33, 64, 128)
# Every CLOSE_EVERY-th open post that got proposals is closed without a hire at the end,
# so the Connects refunds of SPEC §5 show in the freelancers' histories.
CLOSE_EVERY = 25
# Those posts close this many days before the load's now, after every pitch.
CLOSED_AGO = 0.2


@dataclass
class Pitching:
    plans: dict[int, FreelancerPlan]
    by_category: dict[str, list[int]]
    users: dict[int, User]
    proposed: set[tuple[int, int]]
    invited: set[tuple[int, int]]
    specialty: dict[int, Specialty] = field(default_factory=dict)
    # When each freelancer's Connects last moved: their pitches are dated after it, so the
    # bookings (and the balances their history shows) follow the dates.
    last_move: dict[int, datetime] = field(default_factory=dict)


def _pitching(ctx: DemoContext) -> Pitching:
    plans = {n: freelancer_plan(ctx, n) for n in range(1, ctx.scale.freelancers + 1)}
    emails = {plan.email: n for n, plan in plans.items()}
    users = {emails[u.email]: u for u in User.objects.filter(email__in=emails, is_freelancer=True)}
    by_category: dict[str, list[int]] = {}
    for number, plan in plans.items():
        # Private profiles are not looking for work; only the rest pitch.
        if plan.visibility != Visibility.PRIVATE and number in users:
            by_category.setdefault(plan.specialty.category, []).append(number)
    return Pitching(
        plans=plans,
        by_category=by_category,
        users=users,
        proposed=set(Proposal.objects.values_list("job_id", "freelancer_id")),
        invited=set(Invitation.objects.values_list("job_id", "freelancer_id")),
    )


def _may_pitch(plan: FreelancerPlan, countries: list[str]) -> bool:
    return not countries or (plan.verification == "approved" and plan.country in countries)


def _between(
    rng: random.Random, start: datetime, end: datetime, low: float, high: float
) -> datetime:
    return start + (end - start) * rng.uniform(low, high)


def _draft(
    rng: random.Random, plan: FreelancerPlan, job: JobPost, topic: str, user: User
) -> ProposalDraft:
    profile = user.freelancer.profiles.get(is_general=True)
    skills = list(profile.skills.values_list("name", flat=True)[:2])
    if job.budget_type == BudgetType.FIXED:
        budget = job.budget_cents or 0
        bid: dict[str, Any] = {
            "bid_cents": max(500, round(budget * rng.uniform(0.8, 1.1) / 500) * 500)
        }
    else:
        low, high = job.hourly_min_cents or 0, job.hourly_max_cents or 0
        rate = min(max(plan.rate_cents, low), high + (high - low))
        bid = {"hourly_rate_cents": max(300, rate // 100 * 100)}
    return ProposalDraft(
        profile_id=profile.pk,
        cover_letter=text.cover_letter(
            rng, plan.specialty, topic=topic, years=plan.years, skills=skills
        ),
        bid_type=job.budget_type,
        duration=job.duration,
        answers=[text.screening_answer(rng) for _ in job.questions.all()],
        **bid,
    )


def _top_up(user: User, job: JobPost) -> None:
    """A freelancer short of Connects buys a bundle first, as a person would."""
    cost = proposal_cost(job=job, policy=connects_policy_at(clock.now()))
    if connects_balance(user=user) < cost:
        connects_bundle_buy(
            user=user,
            bundle=TOP_UP_BUNDLE,
            payment_method=PITCH_CARD,
            key=f"demo-connects:job:{job.pk}:freelancer:{user.pk}",
        )


def _interview(
    ctx: DemoContext, rng: random.Random, proposal: Proposal, spec: Specialty, start: datetime
) -> None:
    """The client opens the interview; the freelancer answers; sometimes the client again."""
    client = proposal.job.client
    times = sorted(_between(rng, start, ctx.now, 0.05, 0.95) for _ in range(3))
    with clock.frozen_at(times[0]):
        message = proposal_message(
            client=client, proposal=proposal, body=text.client_opener(rng, spec)
        )
    if rng.random() < 0.8:
        with clock.frozen_at(times[1]):
            message_send(
                conversation=message.conversation,
                sender=proposal.freelancer,
                body=rng.choice(text.FREELANCER_REPLIES),
            )
        if rng.random() < 0.5:
            with clock.frozen_at(times[2]):
                message_send(
                    conversation=message.conversation,
                    sender=client,
                    body=rng.choice(text.CLIENT_FOLLOW_UPS),
                )


def _client_acts(
    ctx: DemoContext, rng: random.Random, proposal: Proposal, spec: Specialty, sent: datetime
) -> None:
    client = proposal.job.client
    roll = rng.random()
    when = _between(rng, sent, ctx.now, 0.05, 0.6)
    with clock.frozen_at(when):
        if roll < 0.25:
            proposal_shortlist(client=client, proposal=proposal)
        elif roll < 0.33:
            proposal_archive(client=client, proposal=proposal)
        elif roll < 0.40:
            proposal_decline(client=client, proposal=proposal, reason="We went another way.")
            return
        elif roll < 0.43:
            proposal_withdraw(freelancer=proposal.freelancer, proposal=proposal)
            return
    if roll < 0.25 or rng.random() < 0.3:
        _interview(ctx, rng, proposal, spec, when)


def _pitch(
    ctx: DemoContext,
    pitching: Pitching,
    rng: random.Random,
    job: JobPost,
    number: int,
    topic: str,
    *,
    first: bool,
) -> None:
    user = pitching.users[number]
    plan = pitching.plans[number]
    drawn = _between(rng, job.published_at or job.created_at, ctx.now, 0.02, 0.6)
    after = pitching.last_move.get(number, _connects_start(ctx, number, plan))
    sent = min(max(drawn, after + timedelta(minutes=rng.randint(5, 90))), ctx.ago(CLOSED_AGO))
    pitching.last_move[number] = sent
    with clock.frozen_at(sent):
        _top_up(user, job)
        proposal = proposal_submit(
            freelancer=user, job=job, draft=_draft(rng, plan, job, topic, user)
        )
    pitching.proposed.add((job.pk, user.pk))
    spec = pitching.specialty[job.pk]
    if number == FREELANCER_ONE and first:
        # freelancer01's first proposal is always in an interview, to show one.
        _interview(ctx, rng, proposal, spec, sent)
    else:
        _client_acts(ctx, rng, proposal, spec, sent)


def _invite(
    ctx: DemoContext, pitching: Pitching, rng: random.Random, job: JobPost, number: int, topic: str
) -> None:
    user = pitching.users[number]
    if (job.pk, user.pk) in pitching.proposed:
        return
    plan = pitching.plans[number]
    sent = _between(rng, job.published_at or job.created_at, ctx.now, 0.05, 0.5)
    with clock.frozen_at(sent):
        invitation = invitation_send(
            client=job.client,
            job=job,
            freelancer=user,
            message=text.invitation_message(rng, name=user.first_name, title=job.title),
        )
    pitching.invited.add((job.pk, user.pk))
    roll = rng.random() if number != FREELANCER_ONE else 1.0
    answered = _between(rng, sent, ctx.now, 0.05, 0.5)
    with clock.frozen_at(answered):
        if roll < 0.4:
            invitation_accept(
                freelancer=user, invitation=invitation, draft=_draft(rng, plan, job, topic, user)
            )
            pitching.proposed.add((job.pk, user.pk))
        elif roll < 0.65:
            invitation_decline(
                freelancer=user,
                invitation=invitation,
                reason=rng.choice(["too_busy", "not_interested", "budget"]),
            )


def _connects_start(ctx: DemoContext, number: int, plan: FreelancerPlan) -> datetime:
    """When a freelancer's Connects last moved before they pitch: they joined (the welcome
    grant), or subscribed to Plus 12 days ago, never before joining."""
    if number in PLUS_SUBSCRIBERS:
        return max(ctx.ago(12), plan.joined + timedelta(hours=1))
    return plan.joined


def _section_connects(ctx: DemoContext) -> Iterator[None]:
    """Every freelancer's welcome grant on the day they joined (long-ago ones have expired
    by now, as they would have), and a few on the Plus plan."""
    for number in range(1, ctx.scale.freelancers + 1):
        plan = freelancer_plan(ctx, number)
        user = User.objects.filter(email=plan.email, is_freelancer=True).first()
        created = False
        if user is not None and connects_account(user=user) is None:
            with clock.frozen_at(plan.joined):
                connects_welcome_grant(user=user)
            if number in PLUS_SUBSCRIBERS:
                with clock.frozen_at(_connects_start(ctx, number, plan)):
                    connects_plus_subscribe(
                        user=user, payment_method=PITCH_CARD, key=f"demo-plus:{number}"
                    )
            created = True
        ctx.count("Connects accounts", created)
        yield


def _section_pitching(ctx: DemoContext) -> Iterator[None]:
    clients = {n: client_plan(ctx, n) for n in range(1, ctx.scale.clients + 1)}
    pitching = _pitching(ctx)
    posts = {
        (job.client.email, job.title): job
        for job in JobPost.objects.select_related("client", "category").filter(state=JobState.OPEN)
    }
    to_close: list[JobPost] = []
    writing_posts = 0
    # A post is pitched on in one go, so a post with any proposal or invitation was done by
    # an earlier run. Every choice below comes from the plans and the post's own seeded
    # generator, never from what is in the database, so a rerun decides the same way.
    done = {job_id for job_id, _ in pitching.proposed | pitching.invited}
    for plan in job_plans(ctx, clients):
        job = posts.get((clients[plan.client_number].email, plan.draft.title))
        if plan.state != "open":
            yield
            continue
        rng = _rng("pitch", plan.index)
        topic = plan.draft.title.lower()
        public = plan.draft.visibility == JobVisibility.PUBLIC
        candidates = [
            n
            for n in pitching.by_category.get(plan.specialty.category, [])
            if _may_pitch(pitching.plans[n], plan.draft.countries)
        ]
        rng.shuffle(candidates)
        count = int(text.weighted(rng, {str(k): v for k, v in PROPOSALS_PER_POST.items()}))
        chosen = candidates[:count] if public else []
        invited = candidates[count : count + rng.randint(1, 2)]
        if rng.random() >= (0.6 if not public else 0.25):
            invited = []
        if FREELANCER_ONE in candidates and public:
            writing_posts += 1
            chosen = [n for n in chosen if n != FREELANCER_ONE]
            invited = [n for n in invited if n != FREELANCER_ONE]
            if writing_posts <= FREELANCER_ONE_POSTS:
                chosen.insert(0, FREELANCER_ONE)
            elif writing_posts == FREELANCER_ONE_POSTS + 1:
                invited.insert(0, FREELANCER_ONE)
        if job is None or job.pk in done or not (chosen or invited):
            ctx.count("posts with proposals", False)
            yield
            continue
        pitching.specialty[job.pk] = plan.specialty
        for number in chosen:
            _pitch(ctx, pitching, rng, job, number, topic, first=writing_posts == 1)
        for number in invited:
            _invite(ctx, pitching, rng, job, number, topic)
        ctx.count("posts with proposals", True)
        if plan.index % CLOSE_EVERY == 0:
            to_close.append(job)
        yield
    for job in to_close:
        with clock.frozen_at(ctx.ago(CLOSED_AGO)):
            closed = job_close(job=job, hired=False)
            # The worker would refund these from the post's event; the load does it now.
            proposals_job_closed(job=closed, refund=True)
    connects_expiry_run_due(now=ctx.now)


# --- hiring and getting paid: offers, contracts, milestones, payouts -----------------------

HIRE_CARD = "pm_card_visa"
# Share of the open posts (with live proposals) on which the client sends an offer, and
# what becomes of it. client01 (the account to sign in as) hires on most of theirs.
OFFER_SHARE = 0.3
CLIENT_ONE_OFFER_SHARE = 0.75
OFFER_OUTCOMES = {"accepted": 60, "pending": 16, "declined": 12, "withdrawn": 12}
# Share of the posts the 30-day rule expires whose client sent an offer nobody answered
# (the offer expires by its own 30-day rule first).
EXPIRED_OFFER_SHARE = 0.5
# Clients with money on their balance fund from it while it lasts, the rest by card.
BALANCE_CLIENTS = frozenset(number for number, _ in DEPOSITS)
# A release approved this recently is still pending at the end of the load (and a rerun
# within a day finds the same); older ones are past the 5-day security period.
PENDING_APPROVALS = (0.7, 3.5)
AVAILABLE_APPROVALS = (7.5, 14.0)


@dataclass(frozen=True)
class Story:
    """What happens on a fixed-price contract after it starts: steps in order, one of them
    (`anchor`) pinned to a number of days ago so releases land pending or available and
    submitted work stays inside its 14-day review window."""

    name: str
    steps: tuple[str, ...]
    anchor: int | None = None
    anchor_days: tuple[float, float] = (0.0, 0.0)
    milestones: int = 1
    exact: bool = False  # exactly `milestones` milestones, else at least
    weight: int = 1


STORIES = (
    Story("not funded", (), weight=2),
    Story("funded", ("fund:0",), anchor=0, anchor_days=(0.5, 10), weight=3),
    Story("submitted", ("fund:0", "submit:0"), anchor=1, anchor_days=(0.3, 8), weight=2),
    Story("changes requested", ("fund:0", "submit:0", "changes:0"), 2, (0.3, 6)),
    Story("unfunded work", ("submit_unfunded:0",), anchor=0, anchor_days=(0.3, 6)),
    Story(
        "approved, pending",
        ("fund:0", "submit:0", "changes:0", "resubmit:0", "approve:0", "fund:1"),
        anchor=4,
        anchor_days=PENDING_APPROVALS,
        milestones=2,
        weight=2,
    ),
    Story(
        "approved, available",
        ("fund:0", "submit:0", "approve:0", "fund:1", "submit:1"),
        anchor=2,
        anchor_days=AVAILABLE_APPROVALS,
        milestones=2,
        weight=3,
    ),
    Story("partial refund", ("fund:0", "submit:0", "partial:0"), 2, PENDING_APPROVALS),
    Story(
        "amendment accepted",
        ("fund:0", "submit:0", "approve:0", "amend_propose", "amend_accept", "fund:last"),
        anchor=2,
        anchor_days=AVAILABLE_APPROVALS,
    ),
    Story("amendment pending", ("fund:0", "amend_request"), anchor=1, anchor_days=(0.5, 5)),
    Story(
        "ended",
        ("fund:0", "submit:0", "approve:0", "end"),
        anchor=2,
        anchor_days=AVAILABLE_APPROVALS,
        exact=True,
    ),
)
STORY = {story.name: story for story in STORIES}
# Withdrawal methods and payouts of freelancers paid on the demo contracts, in order:
# (method kind, what happens to a "get paid now" of their available money).
PAYOUT_STORIES = (
    ("ach", "paid"),
    ("paypal", "returned"),
    ("local_bank", "in_transit"),
    ("wire", ""),
)


@dataclass
class Hiring:
    pitching: Pitching
    clients: dict[int, ClientPlan]
    balance: dict[int, int]
    numbers: dict[int, int]  # user id -> freelancer number
    uncovered: list[str] = field(default_factory=lambda: [s.name for s in STORIES])
    paid: list[User] = field(default_factory=list)  # freelancers with money available
    waiting: list[User] = field(default_factory=list)  # freelancers with money pending


def _times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` moments in order between start and end, spread out with a little jitter."""
    step = (end - start) / (count + 1)
    return [start + step * (i + 1) + step * rng.uniform(-0.3, 0.3) for i in range(count)]


def _story_times(
    rng: random.Random, ctx: DemoContext, story: Story, steps: int, accepted: datetime
) -> list[datetime] | None:
    """When each step happens, or None when the contract is too young for this story."""
    end = ctx.ago(0.2)
    if story.anchor is None:
        return _times(rng, accepted, end, steps) if accepted < end else None
    age = (ctx.now - accepted).total_seconds() / 86400
    low, high = story.anchor_days
    if age - 0.3 <= low:
        return None
    pinned = ctx.ago(rng.uniform(low, min(high, age - 0.3)))
    before = _times(rng, accepted, pinned, story.anchor)
    after = _times(rng, pinned, end, steps - story.anchor - 1)
    return [*before, pinned, *after]


def _pick_story(
    rng: random.Random, ctx: DemoContext, hiring: Hiring, accepted: datetime
) -> tuple[Story, list[datetime]]:
    """The first story not shown yet that fits the contract's age; then any that fits."""
    # The most demanding first: old contracts are few, young stories fit almost any.
    for name in sorted(hiring.uncovered, key=lambda n: -STORY[n].anchor_days[0]):
        times = _story_times(rng, ctx, STORY[name], len(STORY[name].steps), accepted)
        if times is not None:
            hiring.uncovered.remove(name)
            return STORY[name], times
    stories = list(STORIES)
    rng.shuffle(stories)
    stories.sort(key=lambda s: -s.weight * rng.random())
    for story in stories:
        times = _story_times(rng, ctx, story, len(story.steps), accepted)
        if times is not None:
            return story, times
    return STORY["not funded"], []


def _fund(hiring: Hiring, client_number: int, milestone: Milestone) -> None:
    client = milestone.contract.client
    total = milestone_funding_quote(milestone=milestone).total_cents
    method = HIRE_CARD
    if client_number in BALANCE_CLIENTS and hiring.balance[client_number] >= total:
        hiring.balance[client_number] -= total
        method = BALANCE
    milestone_fund(client=client, milestone=milestone, payment_method=method)


def _play(
    ctx: DemoContext,
    rng: random.Random,
    hiring: Hiring,
    contract: Contract,
    client_number: int,
    story: Story,
    times: list[datetime],
) -> None:
    client, freelancer = contract.client, contract.freelancer
    for step, when in zip(story.steps, times, strict=True):
        action, _, which = step.partition(":")
        milestones = list(contract.milestones.order_by("position"))
        milestone = milestones[-1 if which == "last" else int(which or 0)]
        criteria = list(milestone.criteria.values_list("pk", flat=True))
        with clock.frozen_at(when):
            if action == "fund":
                _fund(hiring, client_number, milestone)
            elif action in ("submit", "submit_unfunded"):
                milestone_submit(
                    freelancer=freelancer,
                    milestone=milestone,
                    message=text.UNFUNDED_SUBMISSION
                    if action == "submit_unfunded"
                    else rng.choice(text.SUBMISSION_MESSAGES),
                    criteria_met=criteria,
                    acknowledge_unfunded=action == "submit_unfunded",
                )
            elif action == "changes":
                milestone_request_changes(
                    client=client, milestone=milestone, message=rng.choice(text.CHANGE_REQUESTS)
                )
            elif action == "resubmit":
                milestone_resubmit(
                    freelancer=freelancer,
                    milestone=milestone,
                    message=rng.choice(text.RESUBMIT_MESSAGES),
                    criteria_met=criteria,
                )
            elif action == "approve":
                milestone_approve(client=client, milestone=milestone)
            elif action == "partial":
                part = max(500, milestone.amount_cents * rng.randint(5, 8) // 10 // 500 * 500)
                milestone_approve(
                    client=client,
                    milestone=milestone,
                    amount=Money(min(part, milestone.amount_cents)),
                    remainder=Remainder.REFUND,
                )
            elif action in ("amend_propose", "amend_request"):
                description, note = rng.choice(text.AMENDMENTS)
                amendment_propose(
                    user=freelancer if action == "amend_propose" else client,
                    contract=contract,
                    description=description,
                    amount=Money(rng.randint(4, 30) * 2_500),
                    due_date=(when + timedelta(days=14)).date(),
                    criteria=rng.sample(text.MILESTONE_CRITERIA, k=2),
                    note=note,
                )
            elif action == "amend_accept":
                amendment = contract.amendments.get(state=AmendmentState.PENDING)
                amendment_accept(user=client, amendment=amendment)
            elif action == "end":
                contract_end(user=client, contract=contract)
            else:  # pragma: no cover - a typo in STORIES
                raise CommandError(f"Unknown contract step {step!r}.")
    releases = [
        when
        for step, when in zip(story.steps, times, strict=True)
        if step.startswith(("approve", "partial"))
    ]
    if releases:
        # Past the security period by the end of the load, or still pending.
        available = min(releases) < ctx.ago(AVAILABLE_APPROVALS[0] - 1)
        earned = hiring.paid if available else hiring.waiting
        if freelancer not in earned:
            earned.append(freelancer)


def _terms(
    rng: random.Random,
    job: JobPost,
    when: datetime,
    *,
    name: str,
    milestones: int,
    bid_cents: int | None,
    hourly_cents: int | None,
) -> OfferTerms:
    """The offer: hourly at the proposed rate, or fixed price split into milestones."""
    start = (when + timedelta(days=rng.randint(1, 3))).date()
    common: dict[str, Any] = {
        "title": job.title,
        "start_date": start,
        "description": rng.choice(text.OFFER_DESCRIPTIONS),
        "keep_post_open": bool(job.countries),  # restricted posts stay open for more hires
        "message": text.offer_message(rng, name=name),
    }
    if not milestones:
        return OfferTerms(
            kind=ContractKind.HOURLY,
            hourly_rate_cents=hourly_cents or 2_500,
            weekly_limit_hours=rng.choice([10, 15, 20, 30, 40]),
            manual_time_allowed=rng.random() < 0.5,
            **common,
        )
    total = bid_cents or (hourly_cents or 2_500) * 30
    shares = [rng.uniform(0.8, 1.2) for _ in range(milestones)]
    amounts = [max(500, round(total * s / sum(shares) / 500) * 500) for s in shares]
    return OfferTerms(
        kind=ContractKind.FIXED,
        milestones=[
            MilestoneTerms(
                description=description,
                amount_cents=amount,
                due_date=start + timedelta(days=10 * (index + 1)),
                criteria=criteria,
            )
            for index, (amount, (description, criteria)) in enumerate(
                zip(amounts, text.milestone_terms(rng, milestones), strict=True)
            )
        ],
        **common,
    )


def _hire(
    ctx: DemoContext,
    hiring: Hiring,
    rng: random.Random,
    proposal: Proposal,
    client_number: int,
    outcome: str,
    stories: tuple[str, ...] = (),
) -> None:
    """The client offers the job to the proposal's freelancer, who answers (or not yet);
    an accepted fixed-price contract then plays one of the STORIES (the first of `stories`
    that fits its age, when given)."""
    job, freelancer = proposal.job, proposal.freelancer
    gap = ctx.now - proposal.created_at
    if outcome == "accepted":
        offered = proposal.created_at + gap * rng.uniform(0.03, 0.08)
        accepted = offered + gap * rng.uniform(0.02, 0.05)
    else:
        offered = accepted = _between(rng, proposal.created_at, ctx.now, 0.2, 0.8)
    # On an hourly post the client sometimes starts with a fixed-price trial instead.
    fixed = bool(stories) or proposal.bid_type == BudgetType.FIXED or rng.random() < 0.4
    story, times = STORY["not funded"], []
    if outcome == "accepted" and fixed:
        for name in stories:
            found = _story_times(rng, ctx, STORY[name], len(STORY[name].steps), accepted)
            if found is not None:
                story, times = STORY[name], found
                break
        else:
            story, times = _pick_story(rng, ctx, hiring, accepted)
    count = story.milestones if story.exact else max(story.milestones, rng.choice([1, 2, 2, 3]))
    terms = _terms(
        rng,
        job,
        offered,
        name=freelancer.first_name,
        milestones=count if fixed else 0,
        bid_cents=proposal.bid_cents,
        hourly_cents=proposal.hourly_rate_cents,
    )
    with clock.frozen_at(offered):
        offer = offer_send(client=job.client, proposal=proposal, terms=terms)
    ctx.count("offers", True)
    answered = _between(rng, offered, ctx.now, 0.1, 0.6)
    if outcome == "declined":
        with clock.frozen_at(answered):
            offer_decline(
                freelancer=freelancer, offer=offer, reason=rng.choice(text.OFFER_DECLINE_REASONS)
            )
    elif outcome == "withdrawn":
        with clock.frozen_at(answered):
            offer_withdraw(client=job.client, offer=offer)
    elif outcome == "accepted":
        with clock.frozen_at(accepted):
            contract = offer_accept(freelancer=freelancer, offer=offer, revision=offer.revision)
        ctx.count("contracts", True)
        _play(ctx, rng, hiring, contract, client_number, story, times)


def _expiring_offer(
    ctx: DemoContext, hiring: Hiring, rng: random.Random, job: JobPost, plan: JobPlan
) -> None:
    """An offer sent straight to a freelancer more than 30 days ago that nobody answered."""
    pitching = hiring.pitching
    candidates = [
        n
        for n in pitching.by_category.get(plan.specialty.category, [])
        if _may_pitch(pitching.plans[n], plan.draft.countries) and n != FREELANCER_ONE
    ]
    if not candidates:
        return
    freelancer = pitching.users[rng.choice(candidates)]
    offered = plan.created_at + timedelta(days=rng.uniform(0.5, 1))
    terms = _terms(
        rng,
        job,
        offered,
        name=freelancer.first_name,
        milestones=rng.choice([1, 2]) if job.budget_type == BudgetType.FIXED else 0,
        bid_cents=job.budget_cents,
        hourly_cents=job.hourly_max_cents,
    )
    with clock.frozen_at(offered):
        offer_send(client=job.client, job=job, freelancer=freelancer, terms=terms)
    ctx.count("offers", True)


def _payouts(ctx: DemoContext, hiring: Hiring) -> None:
    """Freelancers paid on the demo contracts add withdrawal methods (one waits out its
    3-day hold) and some get paid now: one payout paid, one returned and reversed, one on
    its way."""
    for index, user in enumerate(hiring.paid):
        number = hiring.numbers[user.pk]
        rng = _rng("payout", number)
        kind, fate = PAYOUT_STORIES[index] if index < len(PAYOUT_STORIES) else ("ach", "")
        # Added at least 5 days ago: past its 3-day hold before the payout a day or two ago.
        with clock.frozen_at(ctx.ago(rng.uniform(5, 9))):
            withdrawal_method_add(
                user=user,
                kind=kind,
                destination=f"ba_demo_{number:03d}",
                last4=f"{rng.randint(0, 9999):04d}",
            )
            if index % 2:
                payout_settings_update(
                    user=user, schedule=PayoutSchedule.MONTHLY, threshold=Money(50_000)
                )
        ctx.count("withdrawal methods", True)
        available = (
            LedgerAccount.objects.filter(kind=AccountKind.FREELANCER_AVAILABLE, owner=user)
            .values_list("balance_cents", flat=True)
            .first()
        ) or 0
        amount = available // 2 // 100 * 100
        if not fate or amount <= method_fee(kind).cents:
            continue
        with clock.frozen_at(ctx.ago(rng.uniform(1.2, 1.8))):
            payout = withdrawal_create(user=user, amount=Money(amount), key=f"demo:{number}")
        ctx.count("payouts", True)
        if fate in ("paid", "returned"):
            with clock.frozen_at(ctx.ago(rng.uniform(0.3, 1.0))):
                sandbox_payout_set_status(
                    reference=payout.gateway_reference,
                    returned=fate == "returned",
                    reason="account_closed" if fate == "returned" else "",
                )
                payout_sync(payout=payout)
    waiting = [user for user in hiring.waiting if user not in hiring.paid]
    if waiting:  # a method added yesterday: usable in two days
        user = waiting[0]
        number = hiring.numbers[user.pk]
        with clock.frozen_at(ctx.ago(1)):
            withdrawal_method_add(
                user=user,
                kind=WithdrawalMethodKind.PAYPAL,
                destination=f"pp_demo_{number:03d}",
                last4=f"{_rng('payout', number).randint(0, 9999):04d}",
            )
        ctx.count("withdrawal methods", True)


def _section_hiring(ctx: DemoContext) -> Iterator[None]:
    """Offers on some open posts' proposals, answered or not, the contracts they start and
    what happened on them since, then withdrawals. A post with an offer was done by an
    earlier run (its offers are made in one go), and freelancer01's hire is done when they
    have an offer. Which posts get offers and what becomes of them come from the plans and
    seeded generators; within a post the offer goes to its first shortlisted (or else first)
    live proposal, as the pitching section left them."""
    clients = {n: client_plan(ctx, n) for n in range(1, ctx.scale.clients + 1)}
    pitching = _pitching(ctx)
    balance: dict[int, int] = {}
    for number, cents in DEPOSITS:
        balance[number] = balance.get(number, 0) + cents
    hiring = Hiring(
        pitching=pitching,
        clients=clients,
        balance=balance,
        numbers={user.pk: number for number, user in pitching.users.items()},
    )
    plans = job_plans(ctx, clients)
    plan_of = {(clients[p.client_number].email, p.draft.title): p for p in plans}
    posts = {
        (job.client.email, job.title): job
        for job in JobPost.objects.select_related("client").filter(state=JobState.OPEN)
    }
    done = set(Offer.objects.values_list("job_id", flat=True))
    live = Proposal.objects.filter(state__in=OFFERABLE_PROPOSAL_STATES).select_related(
        "job__client", "freelancer"
    )
    one = pitching.users.get(FREELANCER_ONE)
    one_posts: set[int] = set()
    if one is not None:
        one_posts = set(Proposal.objects.filter(freelancer=one).values_list("job_id", flat=True))
        one_posts |= set(Invitation.objects.filter(freelancer=one).values_list("job_id", flat=True))
        # freelancer01's first live proposal becomes a contract with a payment released.
        first = live.filter(freelancer=one, job__state=JobState.OPEN).order_by("created_at", "pk")
        proposal = first.first()
        hired = Offer.objects.filter(freelancer=one, proposal__isnull=False).exists()
        if proposal is not None and not hired:
            plan = plan_of[(proposal.job.client.email, proposal.job.title)]
            _hire(
                ctx,
                hiring,
                _rng("hire", "freelancer01"),
                proposal,
                plan.client_number,
                "accepted",
                stories=("approved, available", "approved, pending", "funded"),
            )
            done.add(proposal.job_id)
    for plan in plans:
        job = posts.get((clients[plan.client_number].email, plan.draft.title))
        rng = _rng("hire", plan.index)
        roll = rng.random()
        if job is None or job.pk in done or job.pk in one_posts:
            yield
            continue
        if plan.state == "expired":
            if roll < EXPIRED_OFFER_SHARE and plan.created_at < ctx.ago(32):
                _expiring_offer(ctx, hiring, rng, job, plan)
        elif plan.state == "open":
            share = CLIENT_ONE_OFFER_SHARE if plan.client_number == 1 else OFFER_SHARE
            proposal = (
                live.filter(job=job).order_by("-shortlisted", "created_at", "pk").first()
                if roll < share
                else None
            )
            if proposal is not None:
                outcome = text.weighted(rng, OFFER_OUTCOMES)
                _hire(ctx, hiring, rng, proposal, plan.client_number, outcome)
        yield
    with clock.frozen_at(ctx.now):
        ctx.created["expired offers"] = offer_expiry_run_due(now=ctx.now)
    # The security period, as the scheduler runs it: releases older than 5 days became
    # available before the withdrawals; the rest are still pending now.
    with clock.frozen_at(ctx.ago(2)):
        earnings_release_run_due(now=ctx.ago(2))
    _payouts(ctx, hiring)
    with clock.frozen_at(ctx.now):
        earnings_release_run_due(now=ctx.now)
    yield


def _section_hourly(ctx: DemoContext) -> Iterator[None]:
    """Two hourly contracts played week by week (`demo_hourly`): client04 pays
    freelancer01 from their balance, and a client with a verified card but an empty balance
    has freelancer02's tracked hours paid by hourly protection."""
    users = {user.email: user for user in User.objects.filter(email__contains="@openlance.")}
    cast = []
    paid = users.get(client_email(4)), users.get(freelancer_email(1))
    if paid[0] and paid[1] and not story_exists(demo_hourly.PAID):
        cast.append((demo_hourly.PAID, paid[0], paid[1]))
    worker = users.get(freelancer_email(2))
    if worker and not story_exists(demo_hourly.PROTECTED):
        owing = _verified_client_without_balance(ctx)
        if owing:
            cast.append((demo_hourly.PROTECTED, owing, worker))
    ctx.created["hourly contracts"] = demo_hourly.play_hourly(cast, ctx.now)
    ctx.created["bonuses, refunds and expenses"] = demo_hourly.play_after_hire(ctx.now)
    yield


def _section_disputes(ctx: DemoContext) -> Iterator[None]:
    """Two disputes (`demo_disputes`): client06 disputes freelancer03's logo work and waits
    for the answer (in the mediators' queue); client07 and freelancer04 accepted a
    mediator's split on a retouching job. Clients without a demo top-up, so the refund lands
    on a balance of its own."""
    users = {user.email: user for user in User.objects.filter(email__contains="@openlance.")}
    cast = []
    for story, client, freelancer in (
        (demo_disputes.OPEN, 6, 3),
        (demo_disputes.SETTLED, 7, 4),
    ):
        pair = users.get(client_email(client)), users.get(freelancer_email(freelancer))
        if pair[0] and pair[1] and not demo_disputes.story_exists(story):
            cast.append((story, pair[0], pair[1]))
    mediator = users.get(staff_email("Mediator"))
    if mediator is not None:
        ctx.created["disputes"] = demo_disputes.play_disputes(cast, mediator, ctx.now)
    # The security period, as the scheduler runs it: what the hourly work, bonuses, expenses
    # and the settled dispute paid is pending or available by now.
    with clock.frozen_at(ctx.now):
        earnings_release_run_due(now=ctx.now)
    yield


def _verified_client_without_balance(ctx: DemoContext) -> User | None:
    """The first client from client05 on who paid by card and has nothing on their balance,
    with their card marked verified as the card charge's handler would have done then (the
    load runs the handlers at its end)."""
    for number in range(5, ctx.scale.clients + 1):
        if number == FLAGGED_CLIENT:
            continue
        funding = LedgerAccount.objects.filter(
            kind=AccountKind.CLIENT_FUNDING, owner__email=client_email(number)
        ).first()
        if funding is None or funding.balance_cents:
            continue
        if Entry.objects.filter(
            account=funding, transfer__kind=CARD_DEPOSIT, amount_cents__gt=0
        ).exists():
            client = User.objects.get(email=client_email(number))
            client_payment_method_verify(user=client)
            return client
    return None


# --- past work: the track record that earnings, scores and reviews are computed from -------


# The steps after which a score may change: feedback revealed, a repeat contract paid.
SCORED_STEPS = frozenset({"client feedback", "freelancer feedback", "reveal", "approve", "partial"})


@dataclass
class PastPlay:
    """One past contract while the load plays it: its plan and what exists of it so far."""

    number: int  # the freelancer's
    work: PastContract
    freelancer: User
    client: User
    title: str
    specialty: Specialty
    industry: text.Industry
    repeat: bool = False  # the freelancer worked for this client before
    job: JobPost | None = None
    offer: Offer | None = None
    contract: Contract | None = None


def _past_client(
    rng: random.Random, clients: dict[int, ClientPlan], before: datetime, taken: set[int]
) -> int:
    """A client (not the flagged one) who had joined by `before`, new to this freelancer
    when one is left."""
    joined = [n for n, plan in clients.items() if plan.joined < before and n != FLAGGED_CLIENT]
    fresh = [n for n in joined if n not in taken]
    return rng.choice(fresh or joined or [n for n in clients if n != FLAGGED_CLIENT])


def _past_title(
    rng: random.Random, spec: Specialty, industry: text.Industry, used: set[str]
) -> str:
    for _ in range(50):
        title, _topic = text.job_idea(rng, spec, industry)
        if title not in used:
            used.add(title)
            return title
    raise CommandError("No unique title left for a past contract's job post.")


def _past_plays(ctx: DemoContext) -> list[PastPlay]:
    """Every planned past contract whose post does not exist yet. A post is made with its
    whole contract in one go, so an existing one was played by an earlier run."""
    clients = {n: client_plan(ctx, n) for n in range(1, ctx.scale.clients + 1)}
    used: dict[int, set[str]] = {n: set() for n in clients}
    for job in job_plans(ctx, clients):
        used[job.client_number].add(job.draft.title)
    plays = []
    emails = [freelancer_email(n) for n in range(1, ctx.scale.freelancers + 1)]
    users = {u.email: u for u in User.objects.filter(email__in=emails, is_freelancer=True)}
    client_users = {
        u.email: u
        for u in User.objects.filter(email__in=[c.email for c in clients.values()], is_client=True)
    }
    existing = set(
        JobPost.objects.filter(client__in=client_users.values()).values_list(
            "client__email", "title"
        )
    )
    for number in range(1, ctx.scale.freelancers + 1):
        plan = freelancer_plan(ctx, number)
        freelancer = users.get(plan.email)
        rng = _rng("past-work", number)
        taken: set[int] = set()
        for work in plan.past_work:
            begun = ctx.ago(work.ended + work.days + 7)
            number_of_client = work.client or _past_client(rng, clients, begun, taken)
            repeat = number_of_client in taken
            taken.add(number_of_client)
            client = clients[number_of_client]
            title = _past_title(rng, plan.specialty, client.industry, used[number_of_client])
            user = client_users.get(client.email)
            if freelancer is None or user is None or (client.email, title) in existing:
                continue
            plays.append(
                PastPlay(
                    number,
                    work,
                    freelancer,
                    user,
                    title,
                    plan.specialty,
                    client.industry,
                    repeat=repeat,
                )
            )
    return plays


def _stars(rng: random.Random, low: int, high: int) -> dict[str, int]:
    # Mostly the top of the range: a good contract reads as five stars with a four or two.
    return {
        name: high if rng.random() < 0.7 else rng.randint(low, high)
        for name in ("skills", "quality", "availability", "deadlines", "communication")
    } | {"cooperation": rng.randint(low, high)}


def _client_feedback(rng: random.Random, play: PastPlay) -> dict[str, Any]:
    stars, recommend = PAST_OUTCOMES[play.work.outcome]
    given: dict[str, Any] = {}
    if stars is not None:
        key = "negative" if play.work.outcome == "unfounded" else play.work.outcome
        given |= _stars(rng, *stars)
        given["text"] = rng.choice(text.CLIENT_FEEDBACK[key]).format(
            name=play.freelancer.first_name
        )
    if recommend is not None:
        given["recommend"] = rng.randint(*recommend)
        given["end_reason"] = (
            rng.choice([EndReason.QUALITY, EndReason.DEADLINES_MISSED])
            if play.work.outcome == "negative"
            else EndReason.COMPLETED
        )
    return given


def _freelancer_feedback(rng: random.Random, play: PastPlay) -> dict[str, Any]:
    if play.work.outcome in ("negative", "unfounded"):
        return {**_stars(rng, 2, 3), "text": rng.choice(text.FREELANCER_FEEDBACK_POOR)}
    return {**_stars(rng, 4, 5), "text": rng.choice(text.FREELANCER_FEEDBACK)}


def _past_steps(ctx: DemoContext, rng: random.Random, play: PastPlay) -> list[tuple[datetime, str]]:
    """When each step of the contract happens: the post, the offer and its acceptance, the
    funding, the work and its approval, the end, then the feedback of each side and, when
    one side left none, the reveal when the window closes."""
    work = play.work
    ended = ctx.ago(work.ended)
    started = ended - timedelta(days=work.days)
    posted = started - timedelta(days=rng.uniform(2, 6))
    offered = posted + timedelta(days=rng.uniform(0.5, 1.5))
    steps = [
        (posted, "post"),
        (offered, "offer"),
        (offered + timedelta(days=rng.uniform(0.1, 0.8)), "accept"),
        (started + timedelta(days=rng.uniform(0.05, 0.5)), "fund"),
    ]
    if work.outcome == "negative":
        submitted = ended - timedelta(days=rng.uniform(4, 5))
        steps += [
            (submitted, "submit"),
            (submitted + timedelta(days=1), "changes"),
            (submitted + timedelta(days=2.5), "resubmit"),
            (ended - timedelta(days=rng.uniform(0.3, 1)), "partial"),
        ]
    else:
        steps += [
            (ended - timedelta(days=rng.uniform(1.5, 3)), "submit"),
            (ended - timedelta(days=rng.uniform(0.3, 1)), "approve"),
        ]
    steps.append((ended, "end"))
    if work.outcome != "none":
        steps.append((ended + timedelta(days=rng.uniform(0.2, 4)), "client feedback"))
    if work.rated_client:
        steps.append((ended + timedelta(days=rng.uniform(0.2, 6)), "freelancer feedback"))
    if work.outcome == "none" or not work.rated_client:
        # The scheduler reveals what was left once the window closes.
        steps.append((ended + FEEDBACK_WINDOW + timedelta(hours=rng.uniform(0.1, 1)), "reveal"))
    return steps


def _past_step(ctx: DemoContext, rng: random.Random, play: PastPlay, step: str) -> None:
    client, freelancer = play.client, play.freelancer
    if step == "post":
        draft = _past_draft(rng, play)
        play.job = job_create(client=client, draft=draft, publish=True)
        ctx.count("past job posts", True)
    elif step == "offer":
        assert play.job is not None
        terms = _terms(
            rng,
            play.job,
            clock.now(),
            name=freelancer.first_name,
            milestones=1,
            bid_cents=play.work.dollars * 100,
            hourly_cents=None,
        )
        play.offer = offer_send(client=client, job=play.job, freelancer=freelancer, terms=terms)
    elif step == "accept":
        assert play.offer is not None
        play.contract = offer_accept(
            freelancer=freelancer, offer=play.offer, revision=play.offer.revision
        )
        ctx.count("past contracts", True)
    elif step == "end":
        assert play.contract is not None
        play.contract = contract_end(user=client, contract=play.contract)
    elif step in ("client feedback", "freelancer feedback"):
        assert play.contract is not None
        by_client = step == "client feedback"
        given = _client_feedback(rng, play) if by_client else _freelancer_feedback(rng, play)
        feedback = feedback_submit(
            user=client if by_client else freelancer, contract=play.contract, **given
        )
        if feedback.revealed_at is not None:
            _score(play, JssReason.FEEDBACK_REVEALED)
    elif step == "reveal":
        feedback_reveal_run_due(now=clock.now())
        _score(play, JssReason.FEEDBACK_REVEALED)
    else:
        assert play.contract is not None
        milestone = play.contract.milestones.get()
        _past_milestone_step(rng, play, milestone, step)


def _past_milestone_step(
    rng: random.Random, play: PastPlay, milestone: Milestone, step: str
) -> None:
    client, freelancer = play.client, play.freelancer
    criteria = list(milestone.criteria.values_list("pk", flat=True))
    if step == "fund":
        milestone_fund(client=client, milestone=milestone, payment_method=HIRE_CARD)
    elif step == "submit":
        milestone_submit(
            freelancer=freelancer,
            milestone=milestone,
            message=rng.choice(text.SUBMISSION_MESSAGES),
            criteria_met=criteria,
        )
    elif step == "changes":
        milestone_request_changes(
            client=client, milestone=milestone, message=rng.choice(text.CHANGE_REQUESTS)
        )
    elif step == "resubmit":
        milestone_resubmit(
            freelancer=freelancer,
            milestone=milestone,
            message=rng.choice(text.RESUBMIT_MESSAGES),
            criteria_met=criteria[:1],
        )
    elif step == "approve":
        milestone_approve(client=client, milestone=milestone)
        if play.repeat:
            _score(play, JssReason.PAYMENT_MADE)
    elif step == "partial":
        part = max(500, milestone.amount_cents * rng.randint(4, 6) // 10 // 500 * 500)
        milestone_approve(
            client=client,
            milestone=milestone,
            amount=Money(min(part, milestone.amount_cents)),
            remainder=Remainder.REFUND,
        )
        if play.repeat:
            _score(play, JssReason.PAYMENT_MADE)
    else:  # pragma: no cover - a typo in _past_steps
        raise CommandError(f"Unknown past contract step {step!r}.")


def _score(play: PastPlay, reason: JssReason) -> None:
    """What the reputation app's handler of the step's event does (the outbox worker does
    not run during a load), at the moment it happened, so the score's history is the one
    the freelancer would have seen. The handlers of the other events (a contract started or
    ended, a first contract's payment) recompute too, and find nothing changed: such a
    contract counts from its client's feedback, so the load skips them."""
    assert play.contract is not None
    jss_recompute(freelancer_id=play.freelancer.pk, reason=reason, contract_id=play.contract.pk)


def _past_draft(rng: random.Random, play: PastPlay) -> JobDraft:
    spec = play.specialty
    skills = text.profile_skills(rng, spec, rng.randint(2, 6))
    dollars = play.work.dollars
    size = "small" if dollars < 800 else "medium" if dollars < 5_000 else "large"
    duration = "less_than_1_month" if play.work.days <= 30 else "one_to_3_months"
    level = rng.choice(["entry", "intermediate", "expert"])
    _title, topic = text.job_idea(rng, spec, play.industry)
    return JobDraft(
        title=play.title,
        description=text.job_description(
            rng,
            spec,
            topic=topic,
            company="",
            industry=play.industry,
            level=level,
            duration=duration,
            skills=skills,
            countries=[],
            hours_per_week=None,
        ),
        category_slug=slugify(spec.category),
        size=size,
        duration=duration,
        experience_level=level,
        budget_type=BudgetType.FIXED,
        budget_cents=play.work.dollars * 100,
        skill_slugs=_slugs(skills),
    )


def _flag_client(ctx: DemoContext) -> None:
    """A mediator finds the flagged client's poor feedback unfounded; the scores of the
    freelancers it was about are computed again, as the flag's handler would."""
    client = User.objects.filter(email=client_email(FLAGGED_CLIENT), is_client=True).first()
    if client is None or ClientFeedbackFlag.objects.filter(client=client).exists():
        return
    mediator = User.objects.get(email=staff_email("Mediator"))
    flag = client_feedback_flag(staff=mediator, client=client, reason=text.FLAG_REASON)
    about = Feedback.objects.filter(author=client, direction=FeedbackDirection.CLIENT_TO_FREELANCER)
    for freelancer_id in sorted(set(about.values_list("recipient_id", flat=True))):
        jss_recompute(
            freelancer_id=freelancer_id,
            reason=JssReason.CLIENT_FLAGGED,
            ref={"client_id": client.pk, "flag_id": flag.pk},
        )
    ctx.count("flagged clients", True)


def _section_past_work(ctx: DemoContext) -> Iterator[None]:
    """The freelancers' past contracts, played in the order things happened across all of
    them (a flag and a score read what happened before them, and nothing after): posts,
    offers accepted, milestones paid, contracts ended, feedback from both sides revealed,
    and each score computed at the moment its handler would have run. Then the flag on
    the client who left unfounded feedback."""
    plays = _past_plays(ctx)
    rngs = [_rng("past-play", play.number, play.title) for play in plays]
    timeline = sorted(
        (when, index, position, step)
        for index, play in enumerate(plays)
        for position, (when, step) in enumerate(_past_steps(ctx, rngs[index], play))
    )
    flag_at = ctx.ago(FLAGGED_AFTER_DAYS)
    flagged = False
    # The weekly snapshots Top Rated reads, each taken on its Monday as the scheduler would,
    # of the scores as they stood then.
    snapshots = _snapshot_times(ctx)
    for when, index, _position, step in timeline:
        while snapshots and snapshots[0] <= when:
            _take_snapshots(snapshots.pop(0))
        if not flagged and when >= flag_at:
            with clock.frozen_at(flag_at):
                jss_ageing_run_due(now=flag_at)
                _flag_client(ctx)
            flagged = True
        with clock.frozen_at(when):
            if step in SCORED_STEPS:
                # First what time alone changed since, as the daily rule recorded it, so
                # that this step's change is told apart from ageing.
                jss_ageing_run_due(now=when)
            _past_step(ctx, rngs[index], plays[index], step)
    if not flagged:
        with clock.frozen_at(flag_at):
            _flag_client(ctx)
    for moment in snapshots:
        _take_snapshots(moment)
    yield


def _snapshot_times(ctx: DemoContext) -> list[datetime]:
    """Mondays 00:05 UTC of the weeks Top Rated looks back over, oldest first, up to now."""
    weeks = jss_policy_at(ctx.now).badges.top_rated_weeks
    this_week = datetime.combine(week_start(ctx.now), time(0, 5), tzinfo=UTC)
    return [
        moment
        for moment in (this_week - timedelta(weeks=back) for back in range(weeks - 1, -1, -1))
        if moment <= ctx.now
    ]


def _take_snapshots(moment: datetime) -> None:
    with clock.frozen_at(moment):
        jss_ageing_run_due(now=moment)
        jss_snapshots_run_due(now=moment)


def _section_statistics(ctx: DemoContext) -> Iterator[None]:
    """What the outbox worker and the scheduler would do with the load's events, done now
    (the worker does not run during a load, and its emails would flood the console): each
    freelancer's earnings and each client's spending and verified card counted from the
    payments, scores brought up to today, and a first score for those whose only contracts
    are the recent ones."""
    call_command("payment_stats_recount", stdout=io.StringIO())
    with clock.frozen_at(ctx.now):
        jss_ageing_run_due(now=ctx.now)
        jss_backfill(now=ctx.now)
        badges_run_due(now=ctx.now)
    yield


def _section_operator(ctx: DemoContext) -> Iterator[None]:
    _user(
        ctx,
        email=OPERATOR_EMAIL,
        first_name="Olivia",
        last_name="Operator",
        what="operators",
        is_staff=True,
        is_superuser=True,
    )
    yield


def _section_staff(ctx: DemoContext) -> Iterator[None]:
    for group_name in STAFF_MEMBERS:
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            raise CommandError(f"Staff group {group_name!r} is missing; run migrate first.")
        fake = ctx.person("staff", list(STAFF_MEMBERS).index(group_name))
        user = _user(
            ctx,
            email=staff_email(group_name),
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            what="staff",
            is_staff=True,
        )
        user.groups.add(group)
        yield


def _check_catalog(ctx: DemoContext) -> Iterator[None]:
    """The demo picks skills by name from the seeded catalog; fail early if one is gone."""
    wanted = set(_slugs(sorted(text.all_skill_names())))
    found = set(Skill.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    if missing := wanted - found:
        raise CommandError(f"Skills missing from the catalog: {', '.join(sorted(missing))}.")
    yield


SECTIONS: list[Section] = [
    Section("catalog", lambda scale: 1, _check_catalog),
    Section("operator", lambda scale: 1, _section_operator),
    Section("staff", lambda scale: len(STAFF_MEMBERS), _section_staff),
    Section("freelancers", lambda scale: scale.freelancers, _section_freelancers),
    Section("clients", lambda scale: scale.clients, _section_clients),
    Section("deposits", lambda scale: len(DEPOSITS), _section_deposits),
    Section("job posts", lambda scale: scale.jobs, _section_jobs),
    Section("Connects", lambda scale: scale.freelancers, _section_connects),
    # Before pitching and hiring: their events and rules run at today's dates, these at
    # the dates of the past contracts.
    Section("past work", lambda scale: 1, _section_past_work),
    # Before the expiry rule: messages and shortlists are client activity that keeps a
    # post open, as they would have on the days they happened.
    Section("pitching", lambda scale: scale.jobs, _section_pitching),
    # Offers touch their posts too, and hires close them, before the expiry rule runs.
    Section("hiring", lambda scale: scale.jobs + 1, _section_hiring),
    Section("hourly work", lambda scale: 1, _section_hourly),
    Section("disputes", lambda scale: 1, _section_disputes),
    Section("job expiry", lambda scale: 1, _section_job_expiry),
    Section("statistics", lambda scale: 1, _section_statistics),
]


class Command(BaseCommand):
    help = (
        "Load the demo marketplace: accounts, profiles, job posts and money (idempotent: a "
        f"second run adds nothing). Every demo account's password is {DEMO_PASSWORD!r} "
        "unless --password is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password for demo accounts created by this run (existing ones keep theirs).",
        )
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="full",
            help="full: 300 freelancers, 100 clients, 400 job posts; small: a subset for tests.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = DemoContext(password=options["password"], scale=SCALES[options["scale"]])
        quiet = options["verbosity"] == 0
        with (
            tqdm(
                total=sum(section.steps(ctx.scale) for section in SECTIONS),
                desc="Demo data",
                unit="step",
                file=sys.stderr,
                disable=quiet or options["no_progress"],
                dynamic_ncols=True,
            ) as bar,
            outbox_drain_deferred(),
        ):
            for section in SECTIONS:
                bar.set_postfix_str(section.name)
                for _ in section.run(ctx):
                    bar.update(1)

        # The load's events are delivered here, with email switched off: the demo's people
        # are not mailed about a past the load made up (it once sent ~170 "location
        # verified" messages on first start).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            while outbox_drain_batch(now=clock.now()).fetched:
                pass
        # Verified locations reach the profiles' search fields through the outbox worker,
        # which is not running during a load: copy them now so search is right at once.
        profile_search_fields_rebuild()
        # The query planner's statistics, as the hourly task keeps them: the first searches
        # after a load are planned as the later ones will be.
        database_statistics_refresh()
        problems = ledger_violations()
        if problems:
            raise CommandError("Ledger invariants broken after demo load: " + "; ".join(problems))
        if quiet:
            return
        created = ", ".join(f"{n} {what}" for what, n in ctx.created.items()) or "nothing"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready (new this run: {created}). "
                f"{User.objects.count()} users, {Freelancer.objects.count()} freelancers, "
                f"{ClientProfile.objects.count()} client profiles, "
                f"{JobPost.objects.count()} job posts, {Proposal.objects.count()} proposals, "
                f"{Invitation.objects.count()} invitations, "
                f"{Conversation.objects.count()} conversations, "
                f"{Offer.objects.count()} offers, {Contract.objects.count()} contracts, "
                f"{Payout.objects.count()} payouts; "
                f"{LedgerAccount.objects.count()} ledger accounts, "
                f"{Transfer.objects.count()} transfers, {Entry.objects.count()} entries; "
                "ledger sound."
            )
        )
        if ctx.created.get("operators"):
            self.stdout.write(
                f"Sign in as {OPERATOR_EMAIL} / {ctx.password} (operator console: /admin/), "
                f"{freelancer_email(1)} (freelancer) or {client_email(1)} (client). "
                "Demo passwords are public: never load demo data on a real deployment."
            )
