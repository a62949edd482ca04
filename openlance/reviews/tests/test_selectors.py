"""What each person may see: one's own feedback always, the other side's only once revealed,
the client's private part never to the freelancer; profiles' revealed reviews; the client
rating weighted by what each contract paid."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal

import pytest

from openlance.accounts.models import User
from openlance.core import clock
from openlance.jobs.tests.factories import job_client
from openlance.proposals.tests.factories import funded_freelancer
from openlance.reviews.models import FeedbackDirection, FeedbackStage
from openlance.reviews.selectors import (
    FeedbackShown,
    client_rating,
    client_reviews,
    contract_feedback,
    contract_values,
    freelancer_reviews,
    recent_reviews_received,
    shown,
)
from openlance.reviews.services import feedback_reveal_run_due
from openlance.reviews.tests.factories import ended_contract, feedback, running_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

SECRET = "not_as_expected_secret"


def test_a_running_contract_has_no_feedback_yet():
    contract = running_contract()
    state = contract_feedback(user=contract.client, contract=contract)
    assert state.stage == FeedbackStage.NOT_OPEN
    assert (state.closes_at, state.mine, state.theirs) == (None, None, None)
    assert not state.can_edit


def test_double_blind_until_both_have_submitted():
    contract = ended_contract()
    feedback(contract, by=contract.client, end_reason="quality_not_as_expected", recommend=3)
    as_client = contract_feedback(user=contract.client, contract=contract)
    as_freelancer = contract_feedback(user=contract.freelancer, contract=contract)
    assert as_client.stage == as_freelancer.stage == FeedbackStage.OPEN
    assert as_client.closes_at == contract.ended_at + timedelta(days=14)
    assert as_client.mine is not None
    assert as_client.theirs is None
    assert as_client.mine.private is not None
    assert as_client.mine.private.recommend == 3
    assert as_freelancer.mine is None
    assert as_freelancer.theirs is None
    assert as_freelancer.theirs_submitted
    assert not as_client.theirs_submitted

    feedback(contract, by=contract.freelancer, cooperation=2)
    as_client = contract_feedback(user=contract.client, contract=contract)
    as_freelancer = contract_feedback(user=contract.freelancer, contract=contract)
    assert as_client.stage == as_freelancer.stage == FeedbackStage.CLOSED
    assert not as_client.can_edit
    assert as_client.theirs is not None
    assert {r.name: r.value for r in as_client.theirs.ratings}["cooperation"] == 2
    assert as_freelancer.theirs is not None
    assert as_freelancer.theirs.overall == Decimal(5)
    # The client's private part is the client's alone, even after the reveal.
    assert as_freelancer.theirs.private is None
    assert "quality_not_as_expected" not in str(asdict(as_freelancer.theirs))
    assert as_client.mine is not None
    assert as_client.mine.private is not None


def test_the_window_closing_reveals_what_was_left_even_before_the_task_runs():
    contract = ended_contract()
    feedback(contract, by=contract.freelancer, text="Clear brief, paid on time.")
    closes = contract.ended_at + timedelta(days=14)
    with clock.frozen_at(closes - timedelta(seconds=1)):
        assert contract_feedback(user=contract.client, contract=contract).theirs is None
    with clock.frozen_at(closes):
        state = contract_feedback(user=contract.client, contract=contract)
    assert state.stage == FeedbackStage.CLOSED
    assert state.theirs is not None
    assert state.theirs.text == "Clear brief, paid on time."
    assert state.revealed_at == closes
    assert state.mine is None


def test_profiles_show_revealed_public_feedback_only():
    freelancer = funded_freelancer()
    revealed = ended_contract(freelancer=freelancer)
    feedback(revealed, by=revealed.client, text="Excellent.", end_reason="completed", recommend=10)
    feedback(revealed, by=revealed.freelancer, text="A fine client.")
    hidden = ended_contract(freelancer=freelancer)
    feedback(hidden, by=hidden.client, text="Not yet revealed.")
    reviews = received(freelancer, FeedbackDirection.CLIENT_TO_FREELANCER)
    assert [review.text for review in reviews] == ["Excellent."]
    assert reviews[0].private is None
    assert reviews[0].contract_title == revealed.title
    # The prepared read shows each review as the models do.
    assert reviews == [
        shown(review, viewer=None) for review in freelancer_reviews(freelancer=freelancer)
    ]
    on_client = received(revealed.client, FeedbackDirection.FREELANCER_TO_CLIENT)
    assert [r.text for r in on_client] == ["A fine client."]
    assert on_client == [
        shown(review, viewer=None) for review in client_reviews(client=revealed.client)
    ]
    with clock.frozen_at(clock.now() + timedelta(days=15)):
        feedback_reveal_run_due(now=clock.now())
    reviews = received(freelancer, FeedbackDirection.CLIENT_TO_FREELANCER)
    assert [r.text for r in reviews] == ["Not yet revealed.", "Excellent."]
    assert reviews == [
        shown(review, viewer=None) for review in freelancer_reviews(freelancer=freelancer)
    ]


def received(user: User, direction: str) -> list[FeedbackShown]:
    return recent_reviews_received(user=user, direction=direction)


def test_contract_value_is_what_it_paid_less_refunds():
    paid = ended_contract(paid_cents=60_000)
    partly = ended_contract(paid_cents=30_000, refund_cents=10_000)
    unpaid = ended_contract()
    assert contract_values(contract_ids=[paid.pk, partly.pk, unpaid.pk]) == {
        paid.pk: 60_000,
        partly.pk: 30_000,
    }
    assert contract_values(contract_ids=[]) == {}


def test_client_rating_is_weighted_by_contract_value():
    client = job_client()
    big = ended_contract(client=client, paid_cents=90_000)
    small = ended_contract(client=client, paid_cents=10_000)
    unpaid = ended_contract(client=client)
    assert client_rating(client=client).rating is None
    for contract, stars in ((big, 5), (small, 2), (unpaid, 1)):
        feedback(contract, by=contract.client)
        feedback(
            contract,
            by=contract.freelancer,
            **dict.fromkeys(
                ("skills", "quality", "availability", "deadlines", "communication", "cooperation"),
                stars,
            ),
        )
    rating = client_rating(client=client)
    # (5 x 900 + 2 x 100) / 1000 = 4.7; the unpaid contract weighs nothing.
    assert rating.rating == Decimal("4.70")
    assert rating.rated_contracts == 2
    assert rating.weight_cents == 100_000


def test_client_rating_is_exact_then_rounded_once():
    client = job_client()
    first = ended_contract(client=client, paid_cents=10_000)
    second = ended_contract(client=client, paid_cents=20_000)
    feedback(first, by=first.freelancer, skills=4)  # 29 / 6
    feedback(second, by=second.freelancer, skills=4, quality=4)  # 28 / 6
    with clock.frozen_at(clock.now() + timedelta(days=14)):
        feedback_reveal_run_due(now=clock.now())
    # (29 x 1 + 28 x 2) / (6 x 3) = 85 / 18 = 4.7222…
    assert client_rating(client=client).rating == Decimal("4.72")
