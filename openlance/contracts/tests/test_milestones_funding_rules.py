"""Auto-approval only of fully funded work, the fee schedule a release is priced on, card
retries after a decline, and ending hourly contracts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openlance.billing.gateway import ChargeResult, ChargeStatus
from openlance.billing.services import funds_deposit
from openlance.billing.tests.gateways import DeclinesFirst
from openlance.contracts import common, endings
from openlance.contracts.milestones import funding, release, submissions
from openlance.contracts.models import ContractState, Milestone, MilestoneState
from openlance.contracts.offers.services import offer_accept
from openlance.contracts.tests.factories import contract_fixed, contract_hourly, fixed_terms, offer
from openlance.core import clock
from openlance.core.errors import Conflict, PaymentDeclined
from openlance.core.models import OutboxEvent, Policy, PolicyKind
from openlance.core.money import Money
from openlance.core.services import policy_add
from openlance.ledger.models import Transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def fresh(milestone: Milestone) -> Milestone:
    return Milestone.objects.select_related("contract").get(pk=milestone.pk)


def milestones(contract) -> list[Milestone]:
    return list(contract.milestones.order_by("position"))


def part_funded_submission(start):
    """A 1,000 milestone holding only the 50 kept from the first one, submitted at `start`."""
    contract = contract_fixed((10_000, 100_000))
    funds_deposit(
        user=contract.client, amount=Money(500_000), payment_method="pm_card_visa", key="top"
    )
    first, second = milestones(contract)
    funding.milestone_fund(client=contract.client, milestone=first, payment_method="balance")
    submissions.milestone_submit(
        freelancer=contract.freelancer, milestone=fresh(first), message="x"
    )
    release.milestone_approve(
        client=contract.client, milestone=fresh(first), amount=Money(5_000), remainder="keep"
    )
    with clock.frozen_at(start):
        submissions.milestone_submit(
            freelancer=contract.freelancer,
            milestone=fresh(second),
            message="Done",
            acknowledge_unfunded=True,
        )
    second = fresh(second)
    assert second.in_escrow_cents == 5_000
    return contract, second


# --- auto-approval --------------------------------------------------------------------


def test_part_funded_work_is_neither_warned_about_nor_approved_short():
    start = clock.now()
    _, milestone = part_funded_submission(start)
    day_13 = start + timedelta(days=13)
    assert release.milestone_auto_approve_run_due(now=day_13) == {"warned": 0, "approved": 0}
    day_15 = start + timedelta(days=15)
    assert release.milestone_auto_approve_run_due(now=day_15) == {"warned": 0, "approved": 0}
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.SUBMITTED
    assert milestone.released_cents == 0
    assert not OutboxEvent.objects.filter(kind="milestone.auto_approve_soon").exists()


def test_funding_submitted_work_restarts_the_14_days_from_the_funding():
    start = clock.now()
    contract, milestone = part_funded_submission(start)
    funded_on = start + timedelta(days=20)
    with clock.frozen_at(funded_on):
        funding.milestone_fund(
            client=contract.client, milestone=milestone, payment_method="balance"
        )
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.SUBMITTED
    assert milestone.auto_approve_at == funded_on + timedelta(days=14)
    almost = funded_on + timedelta(days=14) - timedelta(seconds=1)
    assert release.milestone_auto_approve_run_due(now=almost) == {"warned": 1, "approved": 0}
    due = funded_on + timedelta(days=14)
    with clock.frozen_at(due):
        assert release.milestone_auto_approve_run_due(now=due)["approved"] == 1
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.APPROVED
    assert milestone.released_cents == 100_000


def test_work_funded_by_a_kept_remainder_gets_a_fresh_review_period():
    contract = contract_fixed((10_000, 5_000))
    funds_deposit(
        user=contract.client, amount=Money(100_000), payment_method="pm_card_visa", key="top"
    )
    first, second = milestones(contract)
    start = clock.now()
    with clock.frozen_at(start):
        submissions.milestone_submit(
            freelancer=contract.freelancer,
            milestone=second,
            message="Early",
            acknowledge_unfunded=True,
        )
    funding.milestone_fund(client=contract.client, milestone=first, payment_method="balance")
    submissions.milestone_submit(
        freelancer=contract.freelancer, milestone=fresh(first), message="x"
    )
    carried_on = start + timedelta(days=10)
    with clock.frozen_at(carried_on):
        release.milestone_approve(
            client=contract.client, milestone=fresh(first), amount=Money(5_000), remainder="keep"
        )
    second = fresh(second)
    assert second.in_escrow_cents == 5_000
    assert second.auto_approve_at == carried_on + timedelta(days=14)


def test_the_room_promises_auto_approval_only_for_funded_work(client):
    start = clock.now()
    contract, milestone = part_funded_submission(start)
    client.force_login(contract.client)
    room = reverse("contract_detail", args=[contract.pk])
    assert "Approved automatically" not in client.get(room).content.decode()
    funding.milestone_fund(client=contract.client, milestone=milestone, payment_method="balance")
    assert "Approved automatically" in client.get(room).content.decode()


def test_the_room_never_looks_the_first_funding_up_per_milestone(client):
    """Whether the next funding is the first is a column of the contract: no ledger read."""
    contract = contract_fixed((10_000, 20_000, 30_000, 40_000))
    client.force_login(contract.client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("contract_detail", args=[contract.pk])).status_code == 200
    fund_lookups = [q for q in queries.captured_queries if "milestone_fund" in q["sql"]]
    assert fund_lookups == []
    policy_lookups = [q for q in queries.captured_queries if 'FROM "core_policy"' in q["sql"]]
    assert len(policy_lookups) <= 2  # the contract's fee policy, read once for all four


# --- locking --------------------------------------------------------------------------


def test_milestone_locks_leave_the_shared_fee_policy_row_alone():
    contract = contract_fixed((10_000,))
    query = common.locked_milestones().filter(pk=milestones(contract)[0].pk).query
    assert query.select_for_update
    assert query.select_for_update_of == ("self",)


# --- the fee schedule a release is priced on -------------------------------------------


def fees_now() -> dict:
    return Policy.objects.filter(kind=PolicyKind.FEES).order_by("-effective_from")[0].params


def released_fee(contract) -> int:
    milestone = milestones(contract)[0]
    funds_deposit(
        user=contract.client, amount=Money(500_000), payment_method="pm_card_visa", key="top"
    )
    funding.milestone_fund(client=contract.client, milestone=milestone, payment_method="balance")
    submissions.milestone_submit(
        freelancer=contract.freelancer, milestone=fresh(milestone), message="x"
    )
    release.milestone_approve(client=contract.client, milestone=fresh(milestone))
    return Transfer.objects.get(kind="milestone_release").metadata["fee_cents"]


def later_policy(changes: dict, *, days: int = 1) -> None:
    policy_add(
        kind=PolicyKind.FEES,
        label="changed",
        effective_from=clock.now() + timedelta(days=days),
        params={**fees_now(), **changes},
    )


def test_a_fee_change_leaves_running_contracts_alone():
    contract = contract_fixed((10_000,))
    later_policy({"freelancer_fee": {"type": "flat", "rate_bp": 5_000}})
    with clock.frozen_at(clock.now() + timedelta(days=2)):
        assert released_fee(contract) == 2_000  # 20% of the first $500


def test_a_fee_change_that_says_so_reprices_running_contracts():
    contract = contract_fixed((10_000,))
    later_policy(
        {"freelancer_fee": {"type": "flat", "rate_bp": 5_000}, "reprice_running_contracts": True}
    )
    with clock.frozen_at(clock.now() + timedelta(days=2)):
        assert released_fee(contract) == 5_000


def test_a_per_contract_rate_is_the_one_in_force_when_the_proposal_was_sent():
    now = clock.now()
    with clock.frozen_at(now):
        policy_add(
            kind=PolicyKind.FEES,
            label="per contract 8%",
            effective_from=now,
            params={**fees_now(), "freelancer_fee": {"type": "per_contract", "rate_bp": 800}},
        )
    with clock.frozen_at(now + timedelta(minutes=1)):
        pending = offer(terms=fixed_terms((10_000,)))
        later_policy({"freelancer_fee": {"type": "per_contract", "rate_bp": 1_200}})
    with clock.frozen_at(now + timedelta(days=2)):
        contract = offer_accept(freelancer=pending.freelancer, offer=pending, revision=1)
        assert contract.fee_policy.params["freelancer_fee"]["rate_bp"] == 1_200
        assert released_fee(contract) == 800


# --- card retries ---------------------------------------------------------------------


def test_a_declined_card_can_be_tried_again_once_it_has_the_money(monkeypatch):
    gateway = DeclinesFirst()
    monkeypatch.setattr(funding, "payment_gateway", lambda: gateway)
    contract = contract_fixed((10_000,))
    milestone = milestones(contract)[0]
    with pytest.raises(PaymentDeclined):
        funding.milestone_fund(
            client=contract.client, milestone=milestone, payment_method="pm_card_visa"
        )
    funding.milestone_fund(
        client=contract.client, milestone=fresh(milestone), payment_method="pm_card_visa"
    )
    assert fresh(milestone).state == MilestoneState.FUNDED
    assert len(gateway.answers) == 2


def test_a_retry_of_a_booked_card_charge_books_and_charges_nothing_again(monkeypatch):
    gateway = DeclinesFirst()
    gateway.answers["seen"] = ChargeResult("ch_0", ChargeStatus.SUCCEEDED, Money(1))
    monkeypatch.setattr(funding, "payment_gateway", lambda: gateway)
    contract = contract_fixed((10_000,))
    milestone = milestones(contract)[0]
    for _ in range(2):
        # As after a crash between the charge and the funding: nothing was funded yet. The
        # second call finds the charge recorded as booked and does not ask the gateway.
        funding._charge_card(
            client=contract.client, milestone=milestone, payment_method="pm_card_visa"
        )
    assert len(gateway.answers) == 2
    assert Transfer.objects.filter(kind="deposit").count() == 1


# --- ending hourly contracts ----------------------------------------------------------


def test_an_hourly_contract_is_ended_by_either_side(client):
    contract = contract_hourly()
    client.force_login(contract.freelancer)
    room = reverse("contract_detail", args=[contract.pk])
    assert "End contract" in client.get(room).content.decode()
    client.post(reverse("contract_end", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.state == ContractState.ENDED
    with pytest.raises(Conflict):
        endings.contract_end(user=contract.client, contract=contract)
