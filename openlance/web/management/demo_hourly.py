"""The demo's hourly contracts, played week by week through the services as the scheduler
would have run them: a post, a direct offer accepted weeks ago, time logged by the tracker
(and by hand where allowed) with memos, the Monday noon invoices, the Saturday review closes,
a rate change by amendment, and the money paid, protected or still in review.

Two stories:
- a client with money on their balance: every week is charged and paid after its review;
  a week over the limit shows the hours that are never billed; the rate goes up by an accepted
  amendment from a Monday on; the latest week is in review from Monday noon to Friday night.
- a client with a verified payment method, an empty balance and a card that is declined: no
  week can be charged, and hourly protection pays the freelancer's tracked hours once each
  review ends; the client owes them.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from pypdf import PdfWriter

from openlance.accounts.models import User
from openlance.contracts.amendments import amendment_accept, amendment_propose_hourly_terms
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import (
    contract_hourly_card_set,
    hourly_invoice_run_due,
    hourly_review_close_run_due,
    time_entry_add,
)
from openlance.contracts.models import (
    Amendment,
    Contract,
    ContractKind,
    InvoiceState,
    TimeEntrySource,
)
from openlance.contracts.offers.services import OfferTerms, offer_accept, offer_send
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.payments.expenses import (
    expense_accept,
    expense_decline,
    expense_fund,
    expense_propose,
    expense_release,
)
from openlance.contracts.payments.refunds import refund_make
from openlance.core import clock
from openlance.core.money import Money
from openlance.jobs.models import BudgetType, JobPost
from openlance.jobs.services import JobDraft, job_create


@dataclass(frozen=True)
class HourlyStory:
    title: str
    description: str
    category: str
    skills: tuple[str, ...]
    rate_cents: int
    limit_hours: int
    manual_allowed: bool
    started_weeks_ago: int
    # Hours worked on each weekday (Monday first) in an ordinary week, as (start hour, hours).
    days: tuple[tuple[tuple[int, float], ...], ...]
    memos: tuple[str, ...]
    # The week (counted back from this one) with extra hours, past the weekly limit.
    long_week: int | None = None
    # A new rate the freelancer proposes and the client accepts, this many weeks ago.
    raise_to_cents: int | None = None
    raise_weeks_ago: int = 2
    # The card the client's invoices fall back to when their balance runs short.
    card: str = ""


PAID = HourlyStory(
    title="Ongoing Django development for our online shop",
    description=(
        "We run a small online shop on Django and PostgreSQL and need a developer a few "
        "hours a week: bug fixes, small features, dependency upgrades and the odd report. "
        "You will work from our issue tracker and log your time with the tracker."
    ),
    category="Web, Mobile & Software Dev",
    skills=("Python", "Django", "PostgreSQL"),
    rate_cents=3_500,
    limit_hours=15,
    manual_allowed=True,
    started_weeks_ago=5,
    days=(
        ((9, 2.5), (14, 1.0)),
        ((9, 3.0),),
        ((10, 2.0), (15, 1.5)),
        ((9, 2.5),),
        ((13, 1.0),),
    ),
    memos=(
        "Checkout: fixed the rounding of discounts",
        "Upgraded Django and the payment library",
        "Order export to CSV for the accountant",
        "Reviewed the issue tracker with the team",
        "Search: faster product filters",
        "Fixed the password reset email",
    ),
    long_week=3,
    raise_to_cents=4_000,
)

PROTECTED = HourlyStory(
    title="Weekly bookkeeping support",
    description=(
        "Our bookkeeping needs a steady hand a few hours a week: reconcile the bank feeds, "
        "chase open invoices and keep the monthly reports ready for our accountant. Tracked "
        "time only, please, with a short memo for each block of work."
    ),
    category="Accounting & Consulting",
    skills=("Bookkeeping",),
    rate_cents=3_000,
    limit_hours=10,
    manual_allowed=False,
    started_weeks_ago=3,
    days=(((9, 2.0),), (), ((9, 2.5),), (), ((10, 2.0),)),
    memos=(
        "Reconciled the bank feed",
        "Chased three open invoices",
        "Prepared the monthly report",
    ),
    card="pm_card_declined",
)


@dataclass
class Step:
    when: datetime
    order: int
    run: Callable[[], object]


def _start(now: datetime, story: HourlyStory) -> datetime:
    """The Monday morning the contract started, `started_weeks_ago` weeks back."""
    monday = weeks.week_of(now) - timedelta(weeks=story.started_weeks_ago)
    return datetime.combine(monday, time(8), tzinfo=now.tzinfo)


def _hire(client: User, freelancer: User, story: HourlyStory, now: datetime) -> Contract:
    start = _start(now, story)
    with clock.frozen_at(start - timedelta(days=3)):
        job = job_create(
            client=client,
            draft=JobDraft(
                title=story.title,
                description=story.description,
                category_slug=slugify(story.category),
                size="medium",
                duration="more_than_6_months",
                experience_level="intermediate",
                budget_type=BudgetType.HOURLY,
                hourly_min_cents=story.rate_cents - 500,
                hourly_max_cents=story.rate_cents + 500,
                skill_slugs=[slugify(name) for name in story.skills],
            ),
            publish=True,
        )
    with clock.frozen_at(start - timedelta(days=2)):
        offer = offer_send(
            client=client,
            job=job,
            freelancer=freelancer,
            terms=OfferTerms(
                kind=ContractKind.HOURLY,
                title=story.title,
                start_date=start.date(),
                description=story.description,
                hourly_rate_cents=story.rate_cents,
                weekly_limit_hours=story.limit_hours,
                manual_time_allowed=story.manual_allowed,
                message=f"Hi {freelancer.first_name}, we would love to work with you weekly.",
            ),
        )
    with clock.frozen_at(start - timedelta(days=1)):
        contract = offer_accept(freelancer=freelancer, offer=offer, revision=offer.revision)
        if story.card:
            contract = contract_hourly_card_set(user=client, contract=contract, card=story.card)
    return contract


def _entries(contract: Contract, story: HourlyStory, now: datetime, order: int) -> list[Step]:
    """The story's time, each interval uploaded by the tracker a few minutes after it ended
    (and the long week's extra Saturday logged by hand where manual time is allowed)."""
    rng = random.Random(f"demo-hourly:{story.title}")  # noqa: S311 (the same demo everywhere)
    first = weeks.week_of(_start(now, story))
    steps: list[Step] = []
    for back in range(story.started_weeks_ago, -1, -1):
        monday = first + timedelta(weeks=story.started_weeks_ago - back)
        plan = [
            (day, start, hours, TimeEntrySource.TRACKED)
            for day, blocks in enumerate(story.days)
            for start, hours in blocks
        ]
        if back == story.long_week:
            extra = TimeEntrySource.MANUAL if story.manual_allowed else TimeEntrySource.TRACKED
            plan.append((5, 9, 5.0, extra))
        for day, start, hours, source in plan:
            begins = datetime.combine(monday + timedelta(days=day), time(start), tzinfo=now.tzinfo)
            ends = begins + timedelta(minutes=round(hours * 60) - rng.randint(0, 9))
            if ends + timedelta(minutes=5) > now:
                continue
            steps.append(
                Step(
                    ends + timedelta(minutes=3),
                    order,
                    _logger(contract, begins, ends, rng.choice(story.memos), source),
                )
            )
    return steps


def _logger(
    contract: Contract, begins: datetime, ends: datetime, memo: str, source: str
) -> Callable[[], object]:
    return lambda: time_entry_add(
        user=contract.freelancer,
        contract=contract,
        started_at=begins,
        ended_at=ends,
        memo=memo,
        source=source,
        key=f"demo:{contract.pk}:{begins.isoformat()}",
    )


def _raise(contract: Contract, story: HourlyStory, now: datetime, order: int) -> list[Step]:
    if story.raise_to_cents is None:
        return []
    # Proposed on a Wednesday, accepted the day after: billed from the Monday after that.
    wednesday = datetime.combine(
        weeks.week_of(now) - timedelta(weeks=story.raise_weeks_ago) + timedelta(days=2),
        time(17),
        tzinfo=now.tzinfo,
    )
    proposed: list[Amendment] = []

    def propose() -> None:
        proposed.append(
            amendment_propose_hourly_terms(
                user=contract.freelancer,
                contract=contract,
                hourly_rate=Money(story.raise_to_cents or 0),
                weekly_limit_hours=story.limit_hours,
                note="The work has grown into the payment integration; my rate for it.",
            )
        )

    def accept() -> None:
        amendment_accept(user=contract.client, amendment=proposed[0])

    return [Step(wednesday, order, propose), Step(wednesday + timedelta(days=1), order, accept)]


def _scheduler(first_week: date, now: datetime) -> list[Step]:
    """The hourly rules at the times the scheduler runs them: invoices on Monday noon, the
    reviews' end at Saturday 00:00 (-1 orders them before anything else at that moment)."""
    steps: list[Step] = []
    week = first_week
    while weeks.week_locks_at(week) <= now:
        noon = weeks.week_locks_at(week)
        steps.append(Step(noon, -1, partial(hourly_invoice_run_due, now=noon)))
        saturday = weeks.review_ends_at(week)
        if saturday <= now:
            steps.append(Step(saturday, -1, partial(hourly_review_close_run_due, now=saturday)))
        week += weeks.WEEK
    return steps


def story_exists(story: HourlyStory) -> bool:
    """Whether an earlier load played the story (its post is there)."""
    return JobPost.objects.filter(title=story.title).exists()


def play_hourly(cast: list[tuple[HourlyStory, User, User]], now: datetime) -> int:
    """Play each (story, client, freelancer) up to `now`, all of them along one timeline,
    and return how many contracts it started. Not in one transaction: a card charge runs
    outside any (the gateway is called between its two), so, like past work, a load
    interrupted here leaves its stories as far as they got."""
    steps: list[Step] = []
    for order, (story, client, freelancer) in enumerate(cast):
        contract = _hire(client, freelancer, story, now)
        steps += _entries(contract, story, now, order)
        steps += _raise(contract, story, now, order)
    if cast:
        oldest = min(weeks.week_of(_start(now, story)) for story, _, _ in cast)
        steps += _scheduler(oldest, now)
    for step in sorted(steps, key=lambda s: (s.when, s.order)):
        with clock.frozen_at(step.when):
            step.run()
    return len(cast)


def play_after_hire(now: datetime) -> int:
    """On the paid hourly contract, what happens after the hire (SPEC §7.3): the client
    accepts and reimburses the freelancer's expense for a font licence and declines one for
    a new keyboard, pays a bonus after the busy week, and the freelancer refunds part of an
    invoice for an hour billed twice. Returns how many of these it made (none when an earlier
    load did)."""
    contract = (
        Contract.objects.filter(kind=ContractKind.HOURLY, job__title=PAID.title)
        .select_related("client", "freelancer")
        .first()
    )
    if contract is None or contract.bonuses.exists():
        return 0
    client, freelancer = contract.client, contract.freelancer
    start = _start(now, PAID)
    made = 0
    for description, cents, receipt, accepted in (
        ("Font licence for the shop's new theme", 4_900, "font-licence.pdf", True),
        ("A new keyboard", 12_900, "keyboard.pdf", False),
    ):
        with clock.frozen_at(start + timedelta(days=9, hours=10)):
            expense = expense_propose(
                freelancer=freelancer,
                contract=contract,
                description=description,
                amount=Money(cents),
                receipt=SimpleUploadedFile(receipt, _receipt_pdf(description, cents)),
            )
        with clock.frozen_at(start + timedelta(days=10, hours=9)):
            if not accepted:
                expense_decline(client=client, expense=expense)
                made += 1
                continue
            expense_accept(client=client, expense=expense)
            expense_fund(client=client, expense=expense)
        with clock.frozen_at(start + timedelta(days=11, hours=9)):
            expense_release(client=client, expense=expense)
        made += 1
    long_week = weeks.week_of(now) - timedelta(weeks=PAID.long_week or 0)
    with clock.frozen_at(weeks.review_ends_at(long_week) + timedelta(hours=10)):
        bonus_pay(
            client=client,
            contract=contract,
            amount=Money(10_000),
            note="For the weekend you put in on the checkout. Thank you!",
            key="demo-bonus",
        )
        made += 1
    invoice = contract.invoices.filter(state=InvoiceState.PAID).order_by("week_start").first()
    if invoice is not None and invoice.payment is not None:
        with clock.frozen_at(invoice.paid_at + timedelta(days=1) if invoice.paid_at else now):
            refund_make(
                freelancer=freelancer,
                contract=contract,
                payment=invoice.payment,
                amount=Money(invoice.hourly_rate_cents),
                reason="One hour on Tuesday was logged twice; refunding it.",
                key="demo-refund",
            )
            made += 1
    return made


def _receipt_pdf(description: str, cents: int) -> bytes:
    """A one-page PDF receipt, made in memory (the upload check reads its content)."""
    writer = PdfWriter()
    writer.add_blank_page(width=420, height=595)
    writer.add_metadata({"/Title": f"Receipt: {description}, {Money(cents)}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
