"""`manage.py demo_load`: what it creates, that a second run adds and changes nothing, that
the demo is realistic enough to search (a verified US content writer answers "content
writing" + "US only"), and that a demo account can really sign in through the site.

Most tests load the small scale (`--scale small`, the first accounts and posts of the full
demo); one loads the full demo twice to check the targets and idempotency."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser, Group
from django.core import mail
from django.core.management import call_command
from django.db.models import F, Q, Sum

from openlance.accounts.models import AuditLogEntry, LocationVerification, User
from openlance.billing.checks import BILLING_KINDS, FREELANCER_KINDS
from openlance.billing.models import Payout, PendingEarning, SandboxOperation, WithdrawalMethod
from openlance.billing.payments import PAYMENT_REFUND
from openlance.catalog.data import CATEGORIES
from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsAccount, ConnectsMove
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.selectors import invoices_owed_by
from openlance.contracts.models import (
    Amendment,
    Contract,
    HourlyInvoice,
    InvoiceState,
    Milestone,
    Offer,
    Submission,
    TimeEntry,
)
from openlance.core import clock
from openlance.core.models import OutboxEvent
from openlance.core.policies import jss_policy_at
from openlance.disputes.models import Dispute
from openlance.insights.selectors import client_signals
from openlance.jobs.models import JobPost, ScreeningQuestion
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.messaging.models import Conversation, Message
from openlance.profiles.models import (
    Assessment,
    ClientProfile,
    Education,
    Employment,
    Freelancer,
    PortfolioItem,
    Profile,
)
from openlance.profiles.search import (
    FreelancerCard,
    FreelancerSearchParams,
    search_freelancer_cards,
)
from openlance.profiles.selectors import profile_completeness
from openlance.profiles.services import profile_update
from openlance.proposals.models import Invitation, Proposal
from openlance.reputation.models import BadgeChange, JssChange, JssReason, JssScore, JssSnapshot
from openlance.reputation.services import badges_run_due, jss_recompute
from openlance.reviews.models import ClientFeedbackFlag, Feedback, FeedbackDirection
from openlance.web.management import demo_disputes, demo_text
from openlance.web.management.commands import demo_load

CHROMIUM = "/usr/bin/chromium"
SMALL = demo_load.SCALES["small"]
FULL = demo_load.SCALES["full"]
PAST_CONTRACTS_SMALL = sum(len(past) for past in demo_load.SHOWCASE.values())
# The hourly stories and the dispute stories post their own jobs (demo_hourly,
# demo_disputes).
HOURLY_STORIES = 2 + 2


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "emails": EmailAddress.objects.count(),
        "accounts": LedgerAccount.objects.count(),
        "transfers": Transfer.objects.count(),
        "entries": Entry.objects.count(),
        "charges": SandboxOperation.objects.count(),
        "freelancers": Freelancer.objects.count(),
        "profiles": Profile.objects.count(),
        "portfolio": PortfolioItem.objects.count(),
        "assessments": Assessment.objects.count(),
        "employment": Employment.objects.count(),
        "education": Education.objects.count(),
        "verifications": LocationVerification.objects.count(),
        "clients": ClientProfile.objects.count(),
        "jobs": JobPost.objects.count(),
        "questions": ScreeningQuestion.objects.count(),
        "events": OutboxEvent.objects.count(),
        "audit": AuditLogEntry.objects.count(),
        "proposals": Proposal.objects.count(),
        "invitations": Invitation.objects.count(),
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "connects moves": ConnectsMove.objects.count(),
        "offers": Offer.objects.count(),
        "contracts": Contract.objects.count(),
        "milestones": Milestone.objects.count(),
        "submissions": Submission.objects.count(),
        "amendments": Amendment.objects.count(),
        "pending earnings": PendingEarning.objects.count(),
        "withdrawal methods": WithdrawalMethod.objects.count(),
        "payouts": Payout.objects.count(),
        "feedback": Feedback.objects.count(),
        "flags": ClientFeedbackFlag.objects.count(),
        "scores": JssScore.objects.count(),
        "score changes": JssChange.objects.count(),
    }


def _state() -> dict[str, Any]:
    """What a second run must leave exactly as it was."""
    return {
        "users": set(
            User.objects.values_list(
                "email", "last_name", "verified_country", "location_verified_at", "date_joined"
            )
        ),
        "freelancers": set(
            Freelancer.objects.values_list(
                "user__email", "updated_at", "visibility", "jss_percent", "total_earned_cents"
            )
        ),
        "profiles": set(Profile.objects.values_list("pk", "title", "updated_at")),
        "clients": set(
            ClientProfile.objects.values_list(
                "user__email", "updated_at", "payment_method_verified", "total_spent_cents"
            )
        ),
        "jobs": set(
            JobPost.objects.values_list(
                "pk", "state", "published_at", "last_client_activity_at", "expiry_warned_at"
            )
        ),
        "verifications": set(LocationVerification.objects.values_list("pk", "status")),
        "proposals": set(Proposal.objects.values_list("pk", "state", "updated_at")),
        "invitations": set(Invitation.objects.values_list("pk", "state")),
        "balances": set(ConnectsAccount.objects.values_list("pk", "balance", "plan")),
        "offers": set(Offer.objects.values_list("pk", "state", "revision", "responded_at")),
        "contracts": set(Contract.objects.values_list("pk", "state", "ended_at")),
        "milestones": set(
            Milestone.objects.values_list(
                "pk", "state", "funded_cents", "released_cents", "refunded_cents"
            )
        ),
        "amendments": set(Amendment.objects.values_list("pk", "state")),
        "earnings": set(PendingEarning.objects.values_list("pk", "released_at")),
        "payouts": set(Payout.objects.values_list("pk", "status", "closed_at")),
        "feedback": set(Feedback.objects.values_list("pk", "revealed_at", "counts")),
        "scores": set(JssScore.objects.values_list("freelancer_id", "score", "computed_at")),
        "ledger": set(LedgerAccount.objects.values_list("pk", "balance_cents")),
        "events": Counter(OutboxEvent.objects.values_list("kind", flat=True)),
    }


def _load(*args: str) -> str:
    out = StringIO()
    call_command("demo_load", "--no-progress", *args, stdout=out)
    return out.getvalue()


def _connects_histories_out_of_date_order() -> dict[str, list[str]]:
    """Per freelancer, the Connects moves whose balance does not follow from the one dated
    before it (what their history page would show out of order)."""
    wrong: dict[str, list[str]] = {}
    for account in ConnectsAccount.objects.select_related("user"):
        before = 0
        for move in account.moves.order_by("created_at", "id"):
            if move.balance_after != before + move.units:
                wrong.setdefault(account.user.email, []).append(
                    f"{move.created_at:%Y-%m-%d %H:%M} {move.kind} {move.units}"
                )
            before = move.balance_after
    return wrong


def _us_content_writers() -> list[FreelancerCard]:
    page = search_freelancer_cards(
        viewer=AnonymousUser(),
        params=FreelancerSearchParams(text="content writing", countries=("US",), page_size=100),
    )
    return page.items


# --- the text and the plan, without a database -------------------------------------------


def test_demo_text_uses_only_catalog_skills_and_categories() -> None:
    catalog = {name for names in CATEGORIES.values() for name in names}
    assert demo_text.all_skill_names() <= catalog
    assert {s.category for s in demo_text.SPECIALTIES} == set(CATEGORIES)
    assert set(demo_text.JOB_IDEAS) == {s.key for s in demo_text.SPECIALTIES}
    for specialty in demo_text.SPECIALTIES:
        assert set(specialty.related) <= set(demo_text.SPECIALTY_BY_KEY)
        assert all(len(title) <= 120 for title in specialty.titles)


def test_demo_text_reads_like_people_wrote_it() -> None:
    rng = random.Random(7)
    for specialty in demo_text.SPECIALTIES:
        overview = demo_text.profile_overview(
            rng, specialty, first_name="Ana", years=6, city="Austin", country="USA"
        )
        assert 300 < len(overview) < 5000
        assert "{" not in overview
        assert "lorem" not in overview.lower()
        for industry in demo_text.INDUSTRIES:
            title, topic = demo_text.job_idea(rng, specialty, industry)
            assert 5 <= len(title) <= 120
            assert "{" not in title + topic
            description = demo_text.job_description(
                rng,
                specialty,
                topic=topic,
                company="Acme",
                industry=industry,
                level="expert",
                duration="one_to_3_months",
                skills=list(specialty.core_skills),
                countries=["US", "CA"],
                hours_per_week=None,
            )
            assert 50 <= len(description) <= 10_000
            assert "{" not in description
            assert "verified location in the US or Canada" in description


# --- small scale -------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_load_creates_the_demo_marketplace() -> None:
    output = _load("--scale", "small")

    assert "ledger sound" in output
    # Every freelancer's Connects were booked in the order of their dates (issue 15, defect 6).
    assert _connects_histories_out_of_date_order() == {}
    # Its events are delivered, and nobody is mailed about the past the load made up.
    assert not OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True)
    assert mail.outbox == []
    operator = User.objects.get(email=demo_load.OPERATOR_EMAIL)
    assert operator.is_superuser
    assert operator.is_staff
    assert operator.check_password(demo_load.DEMO_PASSWORD)

    for group_name in demo_load.STAFF_MEMBERS:
        member = User.objects.get(email=demo_load.staff_email(group_name))
        assert member.is_staff
        assert not member.is_superuser
        assert list(member.groups.values_list("name", flat=True)) == [group_name]
    assert set(Group.objects.values_list("name", flat=True)) >= set(demo_load.STAFF_MEMBERS)

    freelancers = User.objects.filter(is_freelancer=True, is_client=False)
    clients = User.objects.filter(is_client=True, is_freelancer=False)
    assert freelancers.count() == SMALL.freelancers
    assert clients.count() == SMALL.clients
    assert Freelancer.objects.count() == SMALL.freelancers
    assert ClientProfile.objects.count() == SMALL.clients
    assert JobPost.objects.count() == SMALL.jobs + PAST_CONTRACTS_SMALL + HOURLY_STORIES
    assert all(c.active_role == "client" for c in clients)
    assert all(u.first_name and u.last_name for u in User.objects.all())
    assert User.objects.filter(email=demo_load.freelancer_email(20)).exists()
    assert User.objects.filter(email=demo_load.client_email(8)).exists()

    # Every demo account can sign in: its address is verified and primary.
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == User.objects.count()

    expected: dict[int, int] = {}
    for number, cents in demo_load.DEPOSITS:
        expected[number] = expected.get(number, 0) + cents
    for number, cents in expected.items():
        funding = LedgerAccount.objects.get(
            kind=AccountKind.CLIENT_FUNDING, owner__email=demo_load.client_email(number)
        )
        # Top-ups (card payments for milestones are deposits too, booked with the milestone).
        top_ups = Entry.objects.filter(account=funding, transfer__kind="deposit").exclude(
            transfer__metadata__has_key="milestone_id"
        )
        assert sum(top_ups.values_list("amount_cents", flat=True)) == cents
        # Some of it funded their contracts' milestones; never more than they had.
        assert 0 <= funding.balance_cents <= cents
    top_up_transfers = Transfer.objects.filter(kind="deposit").exclude(
        metadata__has_key="milestone_id"
    )
    assert top_up_transfers.count() == len(demo_load.DEPOSITS)
    assert ledger_violations() == []

    # freelancer01 has a contract with a released payment; client01 has hired.
    contract = Contract.objects.get(
        freelancer__email=demo_load.freelancer_email(1), state="active", kind="fixed"
    )
    assert contract.state == "active"
    assert contract.milestones.filter(state="approved", released_cents__gt=0).exists()
    assert Contract.objects.filter(client__email=demo_load.client_email(1)).exists()


@pytest.mark.django_db
def test_freelancer01_is_a_complete_verified_us_content_writer_found_by_search() -> None:
    _load("--scale", "small")
    user = User.objects.get(email=demo_load.freelancer_email(1))
    freelancer = user.freelancer
    general = freelancer.profiles.get(is_general=True)

    assert user.verified_country == "US"
    assert user.verified_city == freelancer.city
    assert freelancer.visibility == "public"
    assert profile_completeness(freelancer=freelancer).percent == 100
    assert "content writ" in general.title.lower()
    assert "Content Writing" in {skill.name for skill in general.skills.all()}
    assert freelancer.profiles.filter(is_general=False).count() == 2
    approved = LocationVerification.objects.get(user=user)
    assert approved.status == "approved"
    assert approved.reviewer is not None
    assert approved.reviewer.email == demo_load.staff_email("Verifier")

    writers = _us_content_writers()
    assert general.pk in {card.profile_id for card in writers}
    assert len({card.user_id for card in writers}) >= 4  # one freelancer per account
    # A card's country is the verified one when its location is verified.
    assert {(card.country, card.location_verified) for card in writers} == {("US", True)}


@pytest.mark.django_db
def test_demo_freelancers_have_realistic_varied_profiles() -> None:
    _load("--scale", "small")
    generals = Profile.objects.filter(is_general=True).prefetch_related("skills")
    assert all(p.title and len(p.overview) > 250 for p in generals)
    assert all(3 <= len(p.skills.all()) <= 12 for p in generals)
    rates = [p.hourly_rate_cents or 0 for p in generals]
    assert min(rates) >= 1_000
    assert max(rates) <= 15_000
    assert len(set(rates)) > 15
    assert len({p.title for p in generals}) > 25
    assert len({p.overview for p in generals}) == len(generals)

    freelancers = Freelancer.objects.all()
    assert len({f.country.code for f in freelancers}) >= 8
    assert {f.visibility for f in freelancers} >= {"public", "members"}
    assert freelancers.exclude(photo="").count() >= 10
    assert PortfolioItem.objects.exists()
    assert Employment.objects.exists()
    assert Education.objects.exists()
    assert Assessment.objects.exists()

    statuses = Counter(LocationVerification.objects.values_list("status", flat=True))
    assert statuses["submitted"] == 1  # one request waits in the verifier's queue
    assert statuses["rejected"] >= 1
    assert LocationVerification.objects.filter(status="rejected", reason="").count() == 0
    assert statuses["approved"] >= SMALL.freelancers // 2


@pytest.mark.django_db
def test_demo_job_posts_cover_states_budgets_and_dates() -> None:
    _load("--scale", "small")
    jobs = list(JobPost.objects.all())
    states = Counter(job.state for job in jobs)
    assert states["open"] > SMALL.jobs // 2
    assert states["draft"]
    assert states["closed_hired"] + states["closed_no_hire"]
    assert states["expired"] >= 1
    assert {job.budget_type for job in jobs} == {"fixed", "hourly"}
    # Unique titles per client are the key a second run relies on.
    assert len({(job.client_id, job.title) for job in jobs}) == len(jobs)

    now = clock.now()
    published = [job.published_at for job in jobs if job.state == "open" and job.published_at]
    assert any(now - at < timedelta(days=1) for at in published)
    assert any(now - at > timedelta(days=14) for at in published)
    assert all(now - at <= timedelta(days=30) for at in published)


@pytest.mark.django_db
def test_demo_reputation_is_computed_from_real_work() -> None:
    """Scores, reviews, earnings and clients' spending come from past contracts played
    through the services, never stated: a recompute from the stored facts changes nothing,
    and every figure equals what the ledger and the feedback say."""
    _load("--scale", "small")

    scores = dict(Freelancer.objects.values_list("user_id", "jss_percent"))
    assert None in scores.values()  # "no score yet"
    assert any(score is not None and score >= 90 for score in scores.values())
    assert any(score is not None and 50 <= score <= 89 for score in scores.values())
    # Without past work, no score and no earnings; with it, what the rules compute now.
    for row in JssScore.objects.all():
        assert scores[row.freelancer_id] == row.score
        changes = JssChange.objects.count()
        assert jss_recompute(freelancer_id=row.freelancer_id, reason=JssReason.MANUAL).score == (
            row.score
        )
        assert JssChange.objects.count() == changes
    scored = set(JssScore.objects.filter(score__isnull=False).values_list("freelancer_id"))
    assert {(user_id,) for user_id, score in scores.items() if score is not None} == scored

    # A botched contract's feedback, revealed, lowered a score that was there before.
    dropped = JssChange.objects.filter(
        reason=JssReason.FEEDBACK_REVEALED, old_score__isnull=False, new_score__isnull=False
    ).filter(new_score__lt=F("old_score"))
    assert any(
        Feedback.objects.filter(
            contract=change.contract,
            direction=FeedbackDirection.CLIENT_TO_FREELANCER,
            counts=True,
        )
        .filter(Q(recommend__lte=5) | Q(overall_hundredths__lt=300))
        .exists()
        for change in dropped
    )

    # Client feedback in every outcome class (SPEC §11), and private-only feedback.
    client_feedback = Feedback.objects.filter(
        direction=FeedbackDirection.CLIENT_TO_FREELANCER, counts=True
    )
    assert client_feedback.filter(recommend__gte=9, overall_hundredths__gte=450).exists()
    assert client_feedback.filter(recommend__range=(6, 8), overall_hundredths__gte=300).exists()
    assert client_feedback.filter(recommend__lte=5).exists()
    assert client_feedback.filter(overall_hundredths__isnull=True, recommend__isnull=False).exists()
    assert Feedback.objects.filter(direction=FeedbackDirection.FREELANCER_TO_CLIENT).exists()
    assert not Feedback.objects.filter(revealed_at__isnull=True).exists()

    # The flagged client's poor feedback is shown but does not count toward any score.
    flag = ClientFeedbackFlag.objects.get()
    assert flag.client.email == demo_load.client_email(demo_load.FLAGGED_CLIENT)
    unfounded = Feedback.objects.filter(author=flag.client)
    assert unfounded.exists()
    assert not unfounded.filter(counts=True).exists()
    for feedback in unfounded.filter(direction=FeedbackDirection.CLIENT_TO_FREELANCER):
        latest = JssChange.objects.filter(freelancer=feedback.recipient).latest("at", "id")
        assert feedback.contract_id not in {c["contract_id"] for c in latest.counted}
    assert JssChange.objects.filter(
        reason=JssReason.CLIENT_FLAGGED, new_score__gt=F("old_score")
    ).exists()

    # Earnings are what the ledger paid each freelancer (gross: their net and its fee),
    # spending what it took from each client; hours are the paid hourly weeks' (demo_hourly).
    paid: Counter[int] = Counter()
    spent: Counter[int] = Counter()
    for row in (
        Entry.objects.filter(transfer__kind__in=BILLING_KINDS | {PAYMENT_REFUND})
        .filter(account__kind__in=(AccountKind.PLATFORM_FEE_REVENUE, *FREELANCER_KINDS))
        .values("transfer__freelancer_id", "transfer__client_id")
        .annotate(total=Sum("amount_cents"))
    ):
        paid[row["transfer__freelancer_id"]] += row["total"]
        spent[row["transfer__client_id"]] += row["total"]
    earned = dict(Freelancer.objects.values_list("user_id", "total_earned_cents"))
    assert earned == {user_id: paid[user_id] for user_id in earned}
    assert sum(1 for cents in earned.values() if cents) >= 10
    spending = dict(ClientProfile.objects.values_list("user_id", "total_spent_cents"))
    assert spending == {user_id: spent[user_id] for user_id in spending}
    hours = dict(Freelancer.objects.filter(total_hours__gt=0).values_list("user_id", "total_hours"))
    paid_weeks = HourlyInvoice.objects.filter(state=InvoiceState.PAID)
    billed = paid_weeks.values("contract__freelancer_id").annotate(seconds=Sum("seconds_billed"))
    assert hours == {row["contract__freelancer_id"]: row["seconds"] // 3600 for row in billed}
    assert hours

    # What a freelancer sees of a client is computed from the same facts.
    client = User.objects.get(email=demo_load.client_email(2))
    signals = client_signals(client=client)
    assert signals.total_spent.cents == spent[client.pk] > 0
    assert signals.hires >= 3
    assert signals.rating is not None
    assert signals.reviews
    assert signals.payment_method_verified

    # Badges from the weekly snapshots taken as the weeks went by, and what the rules say
    # today: a badge run now changes nothing.
    weeks = jss_policy_at(clock.now()).badges.top_rated_weeks
    assert JssSnapshot.objects.values("week_start").distinct().count() == weeks
    badges = dict(Freelancer.objects.values_list("user__email", "badges"))
    assert badges[demo_load.freelancer_email(1)] == ["top_rated", "top_rated_plus"]
    assert any(held == ["rising_talent"] for held in badges.values())
    changes = BadgeChange.objects.count()
    badges_run_due(now=clock.now())
    assert BadgeChange.objects.count() == changes
    assert dict(Freelancer.objects.values_list("user__email", "badges")) == badges


@pytest.mark.django_db
def test_demo_hourly_contracts_run_week_after_week() -> None:
    """freelancer01 is paid weekly by client04 (a week over the limit, a rate raised by
    amendment, the latest week in review from Monday noon to Friday night), and freelancer02's
    tracked hours are paid by hourly protection for a client whose balance is empty."""
    _load("--scale", "small")
    now = clock.now()
    paid = Contract.objects.get(kind="hourly", freelancer__email=demo_load.freelancer_email(1))
    assert paid.client.email == demo_load.client_email(4)
    invoices = list(HourlyInvoice.objects.filter(contract=paid).order_by("week_start"))
    assert len(invoices) >= 4
    latest_in_review = weeks.review_ends_at(invoices[-1].week_start) > now
    assert [i.state for i in invoices] == ["paid"] * (len(invoices) - 1) + [
        "in_review" if latest_in_review else "paid"
    ]
    assert any(i.seconds_logged > i.seconds_billed == 15 * 3600 for i in invoices)
    assert {i.hourly_rate_cents for i in invoices} == {3_500, 4_000}
    raised = Amendment.objects.get(contract=paid, kind="hourly_terms")
    assert (raised.state, raised.hourly_rate_cents) == ("accepted", 4_000)
    assert TimeEntry.objects.filter(contract=paid, source="manual").exists()
    assert TimeEntry.objects.filter(contract=paid, invoice__isnull=True).exists()  # this week
    protected = Contract.objects.get(kind="hourly", freelancer__email=demo_load.freelancer_email(2))
    states = set(HourlyInvoice.objects.filter(contract=protected).values_list("state", flat=True))
    assert "protected" in states
    owed = invoices_owed_by(client=protected.client)
    assert owed.filter(state="protected").exists()
    assert all("card was declined" in invoice.failure_reason for invoice in owed)
    # After the hire: an expense reimbursed and one declined, a bonus, a refund.
    assert set(paid.expenses.values_list("state", flat=True)) == {"released", "declined"}
    bonus = paid.bonuses.get()
    assert bonus.payment.kind == "bonus"
    assert paid.refunds.get().amount_cents == 3_500
    losses = LedgerAccount.objects.filter(kind=AccountKind.PLATFORM_PROTECTION_LOSSES)
    # Disputes: one waiting for the freelancer's response, one settled by a split.
    open_dispute, settled = (
        Dispute.objects.get(contract__job__title=story.title)
        for story in (demo_disputes.OPEN, demo_disputes.SETTLED)
    )
    assert (open_dispute.state, open_dispute.milestone.state) == ("awaiting_response", "disputed")
    assert (settled.state, settled.decided_by, settled.contract.dispute_decision) == (
        "decided",
        "agreement",
        "split",
    )
    assert sum(losses.values_list("balance_cents", flat=True)) < 0
    assert ledger_violations() == []


@pytest.mark.django_db
def test_demo_load_twice_adds_and_changes_nothing() -> None:
    _load("--scale", "small")
    first, state = _counts(), _state()

    output = _load("--scale", "small")

    assert _counts() == first
    assert _state() == state
    assert "0 freelancers" in output
    assert "0 job posts" in output
    assert "0 deposits" in output
    assert ledger_violations() == []


@pytest.mark.django_db
def test_demo_load_keeps_what_people_changed() -> None:
    _load("--scale", "small")
    user = User.objects.get(email=demo_load.freelancer_email(3))
    user.first_name = "Renamed"
    user.set_password("a-new-password-42")
    user.save()
    general = user.freelancer.profiles.get(is_general=True)
    profile_update(
        profile=general,
        title="My own title",
        overview="Edited.",
        hourly_rate_cents=4_200,
        skill_slugs=["python"],
    )

    _load("--scale", "small")

    user.refresh_from_db()
    general.refresh_from_db()
    assert user.first_name == "Renamed"
    assert user.check_password("a-new-password-42")
    assert (general.title, general.hourly_rate_cents) == ("My own title", 4_200)


@pytest.mark.django_db
def test_demo_names_are_seeded_per_person() -> None:
    """Seeded per person: the same email always gets the same name."""
    _load("--scale", "small")
    names = {u.email: (u.first_name, u.last_name) for u in User.objects.all()}
    fake = demo_load.DemoContext(password="").person("freelancer", 7)
    assert names[demo_load.freelancer_email(7)] == (fake.first_name(), fake.last_name())
    plan = demo_load.freelancer_plan(demo_load.DemoContext(password=""), 33)
    assert names[plan.email] == (plan.first_name, plan.last_name)


@pytest.mark.django_db
def test_demo_load_is_quiet_at_verbosity_zero() -> None:
    out = StringIO()
    call_command("demo_load", "--scale", "small", verbosity=0, stdout=out)
    assert out.getvalue() == ""


# --- full scale --------------------------------------------------------------------------


@pytest.mark.django_db
def test_full_demo_meets_its_targets_and_a_second_run_adds_nothing() -> None:
    _load()

    assert _connects_histories_out_of_date_order() == {}
    assert Freelancer.objects.count() >= 300
    assert ClientProfile.objects.count() >= 100
    assert JobPost.objects.count() >= 400
    assert User.objects.filter(email=demo_load.freelancer_email(300)).exists()

    countries = Counter(Freelancer.objects.values_list("country", flat=True))
    assert 0.28 <= countries["US"] / FULL.freelancers <= 0.42
    assert {"GB", "CA", "IN", "PH", "UA", "BR", "DE", "NG", "PK"} <= set(countries)
    verified = User.objects.filter(is_freelancer=True).exclude(verified_country="").count()
    assert 0.5 <= verified / FULL.freelancers <= 0.7
    with_specialized = Freelancer.objects.filter(profiles__is_general=False).distinct().count()
    assert 0.12 <= with_specialized / FULL.freelancers <= 0.3
    assert len(_us_content_writers()) >= 8

    clients = ClientProfile.objects.all()
    assert clients.filter(payment_method_verified=True, total_spent_cents__gt=0).count() >= 20
    assert clients.exclude(company_name="").exclude(website="").count() >= 50

    jobs = JobPost.objects.all()
    assert set(jobs.values_list("category__name", flat=True)) == set(CATEGORIES)
    for field_name, values in {
        "size": {"small", "medium", "large"},
        "duration": {
            "less_than_1_month",
            "one_to_3_months",
            "three_to_6_months",
            "more_than_6_months",
        },
        "experience_level": {"entry", "intermediate", "expert"},
        "state": {"open", "draft", "closed_hired", "closed_no_hire", "expired"},
        "visibility": {"public", "invite_only"},
    }.items():
        assert set(jobs.values_list(field_name, flat=True)) == values
    assert jobs.filter(state="open", countries="US").count() >= 10
    assert jobs.filter(questions__isnull=False).distinct().count() >= 80

    proposals = Proposal.objects.all()
    assert proposals.count() >= 500
    assert {"submitted", "active", "declined", "withdrawn", "job_closed"} <= set(
        proposals.values_list("state", flat=True)
    )
    assert proposals.filter(shortlisted=True).count() >= 50
    assert proposals.filter(invitation__isnull=False, connects_cost=0).count() >= 10
    assert set(Invitation.objects.values_list("state", flat=True)) >= {
        "accepted",
        "declined",
        "pending",
    }
    assert Conversation.objects.count() >= 100
    assert Message.objects.count() >= 2 * Conversation.objects.count() * 0.7
    assert set(ConnectsMove.objects.values_list("kind", flat=True)) == {
        "grant",
        "purchase",
        "spend",
        "refund",
        "expiry",
    }
    assert ConnectsAccount.objects.filter(plan="plus").count() >= 3
    assert connects_violations() == []
    freelancer01 = User.objects.get(email=demo_load.freelancer_email(1))
    assert Proposal.objects.filter(freelancer=freelancer01).count() == 4
    assert Proposal.objects.filter(freelancer=freelancer01, interview_started_at__isnull=False)
    assert Invitation.objects.filter(freelancer=freelancer01, state="pending").count() == 1

    # Hiring and getting paid, every state reached through the services.
    # Past work's offers led to contracts that have ended; these are the recent ones.
    offers = Offer.objects.exclude(contract__state="ended")
    assert 60 <= offers.count() <= 110
    assert set(offers.values_list("state", flat=True)) == {
        "pending",
        "accepted",
        "declined",
        "withdrawn",
        "expired",
    }
    assert offers.filter(proposal__isnull=False).count() >= 50
    contracts = Contract.objects.all()
    assert set(contracts.values_list("kind", flat=True)) == {"fixed", "hourly"}
    assert set(contracts.values_list("state", flat=True)) == {"active", "ended"}
    assert set(Milestone.objects.values_list("state", flat=True)) >= {
        "not_funded",
        "funded",
        "submitted",
        "changes_requested",
        "approved",
    }
    assert Milestone.objects.filter(state="approved", refunded_cents__gt=0).exists()
    assert Submission.objects.filter(was_funded=False).exists()
    assert Submission.objects.filter(changes_requested_at__isnull=False).exists()
    assert set(Amendment.objects.values_list("state", flat=True)) >= {"accepted", "pending"}
    assert PendingEarning.objects.filter(released_at__isnull=True).exists()
    assert PendingEarning.objects.filter(released_at__isnull=False).exists()
    assert set(Payout.objects.values_list("status", flat=True)) >= {
        "paid",
        "returned",
        "in_transit",
    }
    assert Transfer.objects.filter(kind="payout_returned").count() == 1
    assert WithdrawalMethod.objects.filter(usable_from__gt=clock.now()).count() == 1
    assert WithdrawalMethod.objects.count() >= 4
    f1_contract = Contract.objects.get(freelancer=freelancer01, state="active", kind="fixed")
    assert f1_contract.state == "active"
    assert f1_contract.milestones.filter(state="approved").exists()
    assert contracts.filter(client__email=demo_load.client_email(1)).count() >= 3

    first, state = _counts(), _state()
    output = _load()
    assert _counts() == first
    assert _state() == state
    assert "0 freelancer profiles" in output
    assert "0 job posts" in output
    assert ledger_violations() == []


# --- In a real browser --------------------------------------------------------------------


@pytest.fixture
def chromium_page(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A page in Debian's headless Chromium, driven by Playwright.

    Uses the shared session browser (the `chromium` fixture of web/tests/conftest.py) when
    there is one: a second Playwright instance cannot start while that one runs. Skips where
    Chromium is not installed, except under CI=true, where a missing browser is a failure."""
    try:
        shared = request.getfixturevalue("chromium")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        context = shared.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        return

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{CHROMIUM} is missing; CI installs Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page actions are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_client_signs_in_with_the_documented_password(
    live_server: Any, chromium_page: Any
) -> None:
    call_command("demo_load", "--scale", "small", verbosity=0)
    page = chromium_page
    email = demo_load.client_email(1)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", demo_load.DEMO_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    me = page.evaluate("() => fetch('/api/v1/me').then(r => r.json())")
    assert me["email"] == email
    assert ledger_violations() == []
