"""What milestone payments record on both parties' profiles: the freelancer's earnings (and
so their standing with the auto-private rule and the earnings search filter), the client's
total spent and, from a card charge, their verified payment method."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.profiles.models import ClientProfile, Freelancer, Profile, Visibility
from openlance.profiles.search import FreelancerSearchParams, search_freelancer_cards
from openlance.profiles.services import freelancer_auto_private_run_due

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def _release(contract, position=0, amount=None):
    milestone = contract.milestones.order_by("position")[position]
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone_approve(client=contract.client, milestone=milestone, amount=amount)
    outbox_drain(now=clock.now())


def test_releases_record_the_freelancers_earnings_and_the_clients_spending():
    contract = contract_fixed((50_000, 20_000))
    client, freelancer = contract.client, contract.freelancer
    paid_at = clock.now() + timedelta(hours=1)
    with clock.frozen_at(paid_at):
        _release(contract, 0, amount=Money(30_000))
    earner = Freelancer.objects.get(user=freelancer)
    assert (earner.total_earned_cents, earner.total_jobs, earner.last_earned_at) == (
        30_000,
        1,
        paid_at,
    )
    assert ClientProfile.objects.get(user=client).total_spent_cents == 30_000

    _release(contract, 1)
    other = contract_fixed((10_000,), client=client, freelancer=freelancer)
    _release(other)
    earner.refresh_from_db()
    assert (earner.total_earned_cents, earner.total_jobs) == (60_000, 2)
    assert set(
        Profile.objects.filter(freelancer=earner).values_list("total_earned_cents", flat=True)
    ) == {60_000}
    assert ClientProfile.objects.get(user=client).total_spent_cents == 60_000


def test_an_event_delivered_twice_changes_nothing_more():
    contract = contract_fixed((50_000,))
    _release(contract)
    before = Freelancer.objects.get(user=contract.freelancer)
    spent_before = ClientProfile.objects.get(user=contract.client)
    OutboxEvent.objects.filter(kind="milestone.approved").update(processed_at=None)
    with clock.frozen_at(clock.now() + timedelta(days=1)):
        assert outbox_drain(now=clock.now()) == 1
    after = Freelancer.objects.get(user=contract.freelancer)
    assert (after.total_earned_cents, after.total_jobs, after.last_earned_at, after.updated_at) == (
        before.total_earned_cents,
        before.total_jobs,
        before.last_earned_at,
        before.updated_at,
    )
    spent_after = ClientProfile.objects.get(user=contract.client)
    assert (spent_after.total_spent_cents, spent_after.updated_at) == (
        50_000,
        spent_before.updated_at,
    )


def test_an_earning_freelancer_stays_public_and_matches_the_earnings_filter():
    contract = contract_fixed((50_000,))
    Freelancer.objects.filter(user=contract.freelancer).update(
        created_at=clock.now() - timedelta(days=120)
    )
    _release(contract)
    assert freelancer_auto_private_run_due(now=clock.now()) == 0
    assert Freelancer.objects.get(user=contract.freelancer).visibility == Visibility.PUBLIC
    found = search_freelancer_cards(
        viewer=AnonymousUser(), params=FreelancerSearchParams(earned_min_cents=50_000)
    )
    assert [card.user_id for card in found.items] == [contract.freelancer.pk]


def test_funding_a_milestone_by_card_verifies_the_clients_payment_method():
    contract = contract_fixed((50_000,))
    outbox_drain(now=clock.now())
    assert not ClientProfile.objects.filter(user=contract.client, payment_method_verified=True)
    milestone_fund(
        client=contract.client, milestone=contract.milestones.get(), payment_method="pm_card_visa"
    )
    outbox_drain(now=clock.now())
    assert ClientProfile.objects.get(user=contract.client).payment_method_verified


def test_the_recount_command_restores_what_payments_recorded():
    contract = contract_fixed((50_000,))
    _release(contract)
    expected = Freelancer.objects.get(user=contract.freelancer)
    # As on a database from before payments recorded them.
    Freelancer.objects.filter(pk=expected.pk).update(
        total_earned_cents=0, total_jobs=0, last_earned_at=None
    )
    ClientProfile.objects.filter(user=contract.client).update(
        total_spent_cents=0, payment_method_verified=False
    )
    out = StringIO()
    call_command("payment_stats_recount", stdout=out)
    recounted = Freelancer.objects.get(pk=expected.pk)
    assert (recounted.total_earned_cents, recounted.total_jobs, recounted.last_earned_at) == (
        expected.total_earned_cents,
        expected.total_jobs,
        expected.last_earned_at,
    )
    client = ClientProfile.objects.get(user=contract.client)
    assert (client.total_spent_cents, client.payment_method_verified) == (50_000, True)
    assert "1 freelancer(s) and 1 client(s) recounted" in out.getvalue()
    call_command("payment_stats_recount", stdout=StringIO())  # again: nothing changes
    assert Freelancer.objects.get(pk=expected.pk).updated_at == recounted.updated_at
