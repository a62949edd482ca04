"""Milestone services and their money: funding, submitting, reviewing, releasing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openlance.accounts.tests.factories import client_user
from openlance.billing.models import PendingEarning
from openlance.billing.services import funds_deposit
from openlance.contracts.endings import contract_end
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import (
    milestone_approve,
    milestone_auto_approve_run_due,
    milestone_cancel,
)
from openlance.contracts.milestones.submissions import (
    milestone_request_changes,
    milestone_resubmit,
    milestone_submit,
)
from openlance.contracts.models import Contract, Milestone, MilestoneState, Submission
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PaymentDeclined,
)
from openlance.core.models import OutboxEvent
from openlance.core.money import Money
from openlance.core.tests.files import pdf_bytes
from openlance.ledger.models import PLATFORM_KINDS, AccountKind, Transfer
from openlance.ledger.selectors import platform_balance
from openlance.ledger.services import account_for

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")

PDF = pdf_bytes()


def balance(kind: str, owner=None, reference: str = "") -> int:
    """A user's or an escrow's balance; for a platform account, all its sub-accounts."""
    if kind in PLATFORM_KINDS:
        return platform_balance(kind).cents
    account = account_for(kind=kind, owner=owner, reference=reference)
    account.refresh_from_db()
    return account.balance_cents


def topped_up(contract: Contract, cents: int = 200_000) -> Contract:
    funds_deposit(
        user=contract.client, amount=Money(cents), payment_method="pm_card_visa", key="top-up"
    )
    return contract


def first(contract: Contract) -> Milestone:
    return contract.milestones.order_by("position")[0]


def fresh(milestone: Milestone) -> Milestone:
    return Milestone.objects.select_related("contract").get(pk=milestone.pk)


def funded(contract: Contract, position: int = 0) -> Milestone:
    milestone = contract.milestones.order_by("position")[position]
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    return fresh(milestone)


def submitted(milestone: Milestone, **extra) -> Milestone:
    milestone_submit(
        freelancer=milestone.contract.freelancer,
        milestone=milestone,
        message="Here is the work.",
        **extra,
    )
    return fresh(milestone)


def snapshot() -> tuple:
    return (
        Transfer.objects.count(),
        list(
            Milestone.objects.values_list(
                "pk", "state", "funded_cents", "released_cents", "refunded_cents"
            ).order_by("pk")
        ),
        Submission.objects.count(),
    )


# --- funding -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_funding_from_balance_books_amount_and_client_fees_with_the_initiation_fee():
    contract = topped_up(contract_fixed((50_000, 30_000)))
    milestone = first(contract)
    milestone_fund(client=contract.client, milestone=milestone, payment_method="balance")
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.FUNDED
    assert milestone.funded_cents == 50_000
    assert milestone.in_escrow_cents == 50_000
    fund = Transfer.objects.get(kind="milestone_fund")
    assert fund.idempotency_key == f"milestone:{milestone.pk}:fund"
    assert fund.metadata["marketplace_fee_cents"] == 1_500
    assert fund.metadata["initiation_fee_cents"] == 295
    assert balance(AccountKind.CLIENT_FUNDING, contract.client) == 200_000 - 51_795
    assert balance(AccountKind.CONTRACT_ESCROW, reference=contract.escrow_reference) == 50_000
    assert OutboxEvent.objects.filter(kind="milestone.funded").count() == 1

    second = contract.milestones.order_by("position")[1]
    milestone_fund(client=contract.client, milestone=second, payment_method="balance")
    later = Transfer.objects.get(kind="milestone_fund", metadata__milestone_id=second.pk)
    assert later.metadata["initiation_fee_cents"] == 0
    assert later.metadata["marketplace_fee_cents"] == 900


@pytest.mark.django_db
def test_funding_by_card_charges_the_total_and_books_it_through_the_client_balance():
    contract = contract_fixed((50_000,))
    milestone = funded(contract)
    assert milestone.state == MilestoneState.FUNDED
    assert balance(AccountKind.CLIENT_FUNDING, contract.client) == 0
    assert balance(AccountKind.GATEWAY_CLEARING) == -51_795
    assert Transfer.objects.filter(kind="deposit").count() == 1


@pytest.mark.django_db
def test_a_declined_card_leaves_nothing_behind():
    contract = contract_fixed((50_000,))
    before = snapshot()
    with pytest.raises(PaymentDeclined):
        milestone_fund(
            client=contract.client, milestone=first(contract), payment_method="pm_card_declined"
        )
    assert snapshot() == before
    assert not OutboxEvent.objects.filter(kind="milestone.funded").exists()


@pytest.mark.django_db
def test_funding_without_enough_balance_changes_nothing():
    contract = contract_fixed((50_000,))
    before = snapshot()
    with pytest.raises(InsufficientFunds):
        milestone_fund(client=contract.client, milestone=first(contract), payment_method="balance")
    assert snapshot() == before


@pytest.mark.django_db
def test_funding_twice_moves_money_once():
    contract = topped_up(contract_fixed((50_000,)))
    for _ in range(2):
        milestone_fund(client=contract.client, milestone=first(contract), payment_method="balance")
    assert Transfer.objects.filter(kind="milestone_fund").count() == 1
    assert fresh(first(contract)).funded_cents == 50_000


@pytest.mark.django_db
def test_card_funding_replayed_charges_and_books_once():
    contract = contract_fixed((50_000,))
    milestone = first(contract)
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    assert Transfer.objects.filter(kind="deposit").count() == 1
    assert Transfer.objects.filter(kind="milestone_fund").count() == 1


@pytest.mark.django_db
def test_only_the_client_funds_and_outsiders_do_not_see_the_milestone():
    contract = topped_up(contract_fixed((50_000,)))
    before = snapshot()
    with pytest.raises(Conflict):
        milestone_fund(
            client=contract.freelancer, milestone=first(contract), payment_method="balance"
        )
    with pytest.raises(NotFound):
        milestone_fund(client=client_user(), milestone=first(contract), payment_method="balance")
    with pytest.raises(InvalidInput):
        milestone_fund(client=contract.client, milestone=first(contract), payment_method=" ")
    assert snapshot() == before


# --- submitting and reviewing --------------------------------------------------------


@pytest.mark.django_db
def test_submitting_unfunded_work_needs_the_acknowledgement_and_records_it():
    contract = contract_fixed((50_000,))
    milestone = first(contract)
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submitted(milestone)
    assert "acknowledge_unfunded" in refused.value.field_errors
    assert snapshot() == before
    milestone = submitted(milestone, acknowledge_unfunded=True)
    assert milestone.state == MilestoneState.SUBMITTED
    assert milestone.submissions.get().was_funded is False
    # Nothing is in escrow, so the client must fund before approving.
    with pytest.raises(Conflict):
        milestone_approve(client=contract.client, milestone=milestone)
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.SUBMITTED
    assert milestone.in_escrow_cents == 50_000
    milestone_approve(client=contract.client, milestone=milestone)
    assert fresh(milestone).state == MilestoneState.APPROVED


@pytest.mark.django_db
def test_submission_keeps_files_and_ticked_criteria_and_starts_the_14_day_clock():
    contract = contract_fixed((50_000,))
    milestone = funded(contract)
    criteria = list(milestone.criteria.values_list("pk", flat=True))
    now = clock.now()
    with clock.frozen_at(now):
        milestone = submitted(
            milestone,
            files=[SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")],
            criteria_met=criteria[:1],
        )
    submission = milestone.submissions.get()
    assert submission.was_funded is True
    assert submission.criteria_met == criteria[:1]
    assert submission.files.get().name == "report.pdf"
    assert milestone.auto_approve_at == now + timedelta(days=14)


@pytest.mark.django_db
def test_bad_submissions_change_nothing():
    contract = contract_fixed((50_000,))
    milestone = funded(contract)
    before = snapshot()
    with pytest.raises(InvalidInput):
        submitted(milestone, criteria_met=[999_999])
    with pytest.raises(InvalidInput):
        submitted(
            milestone,
            files=[SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/pdf")],
        )
    with pytest.raises(InvalidInput):
        milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="  ")
    with pytest.raises(Conflict):
        milestone_submit(freelancer=contract.client, milestone=milestone, message="Mine")
    assert snapshot() == before


@pytest.mark.django_db
def test_request_changes_then_resubmit_then_approve():
    contract = contract_fixed((50_000,))
    milestone = submitted(funded(contract))
    milestone_request_changes(
        client=contract.client, milestone=milestone, message="Fix the footer."
    )
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.CHANGES_REQUESTED
    assert milestone.auto_approve_at is None
    assert milestone.submissions.get().changes_message == "Fix the footer."
    with pytest.raises(InvalidTransition):
        milestone_approve(client=contract.client, milestone=milestone)
    milestone_resubmit(freelancer=contract.freelancer, milestone=milestone, message="Fixed.")
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.SUBMITTED
    assert milestone.auto_approve_at is not None
    milestone_approve(client=contract.client, milestone=milestone)
    release = Transfer.objects.get(kind="milestone_release")
    assert release.idempotency_key == f"milestone:{milestone.pk}:release:2"


@pytest.mark.django_db
def test_request_changes_needs_submitted_work_and_a_message():
    contract = contract_fixed((50_000,))
    milestone = funded(contract)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        milestone_request_changes(client=contract.client, milestone=milestone, message="No")
    milestone = submitted(milestone)
    before = snapshot()
    with pytest.raises(InvalidInput):
        milestone_request_changes(client=contract.client, milestone=milestone, message="")
    with pytest.raises(Conflict):
        milestone_request_changes(client=contract.freelancer, milestone=milestone, message="x")
    assert snapshot() == before


# --- release and fees ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_spec_worked_example_first_600_with_a_new_client_pays_110_and_nets_490():
    contract = contract_fixed((60_000,))
    milestone = submitted(funded(contract))
    milestone_approve(client=contract.client, milestone=milestone)
    release = Transfer.objects.get(kind="milestone_release")
    assert release.metadata["gross_cents"] == 60_000
    assert release.metadata["fee_cents"] == 11_000
    assert release.metadata["net_cents"] == 49_000
    assert [t["fee_cents"] for t in release.metadata["tiers"]] == [10_000, 1_000]
    freelancer = contract.freelancer
    assert balance(AccountKind.FREELANCER_PENDING, freelancer) == 49_000
    earning = PendingEarning.objects.get(freelancer=freelancer)
    assert earning.amount_cents == 49_000
    assert earning.transfer_id == release.pk
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.APPROVED
    assert milestone.released_cents == 60_000
    assert balance(AccountKind.CONTRACT_ESCROW, reference=contract.escrow_reference) == 0


@pytest.mark.django_db
def test_a_second_contract_with_the_same_client_continues_the_tiers():
    one = contract_fixed((60_000,))
    milestone_approve(client=one.client, milestone=submitted(funded(one)))
    two = contract_fixed((60_000,), client=one.client, freelancer=one.freelancer)
    milestone_approve(client=two.client, milestone=submitted(funded(two)))
    second = Transfer.objects.get(kind="milestone_release", metadata__contract_id=two.pk)
    assert second.metadata["billed_before_cents"] == 60_000
    assert second.metadata["fee_cents"] == 6_000
    # Another client starts from zero again.
    three = contract_fixed((60_000,), freelancer=one.freelancer)
    milestone_approve(client=three.client, milestone=submitted(funded(three)))
    third = Transfer.objects.get(kind="milestone_release", metadata__contract_id=three.pk)
    assert third.metadata["fee_cents"] == 11_000


@pytest.mark.django_db
def test_partial_release_refunds_the_rest_to_the_client_balance():
    contract = contract_fixed((50_000, 20_000))
    milestone = submitted(funded(contract))
    milestone_approve(
        client=contract.client, milestone=milestone, amount=Money(30_000), remainder="refund"
    )
    milestone = fresh(milestone)
    assert (milestone.released_cents, milestone.refunded_cents, milestone.in_escrow_cents) == (
        30_000,
        20_000,
        0,
    )
    assert balance(AccountKind.CLIENT_FUNDING, contract.client) == 20_000
    assert Transfer.objects.get(kind="escrow_refund").metadata["amount_cents"] == 20_000
    assert balance(AccountKind.CONTRACT_ESCROW, reference=contract.escrow_reference) == 0


@pytest.mark.django_db
def test_partial_release_keeps_the_rest_for_the_next_milestone():
    contract = contract_fixed((50_000, 20_000))
    milestone = submitted(funded(contract))
    milestone_approve(
        client=contract.client, milestone=milestone, amount=Money(25_000), remainder="keep"
    )
    milestone, following = fresh(milestone), fresh(contract.milestones.order_by("position")[1])
    # The next milestone needs 200 of the 250 left: it is funded by the carry, the rest refunded.
    assert following.state == MilestoneState.FUNDED
    assert following.funded_cents == 20_000
    assert following.carried_in_cents == 20_000
    assert milestone.carried_out_cents == 20_000
    assert milestone.refunded_cents == 5_000
    assert milestone.in_escrow_cents == 0
    assert balance(AccountKind.CONTRACT_ESCROW, reference=contract.escrow_reference) == 20_000
    # Funding the carried milestone again is a no-op: it is already whole.
    milestone_fund(client=contract.client, milestone=following, payment_method="balance")
    assert Transfer.objects.filter(kind="milestone_fund").count() == 1


@pytest.mark.django_db
def test_keeping_a_small_remainder_part_funds_the_next_milestone():
    contract = contract_fixed((50_000, 20_000))
    milestone = submitted(funded(contract))
    milestone_approve(
        client=contract.client, milestone=milestone, amount=Money(45_000), remainder="keep"
    )
    following = fresh(contract.milestones.order_by("position")[1])
    assert following.state == MilestoneState.NOT_FUNDED
    assert following.in_escrow_cents == 5_000
    milestone_fund(client=contract.client, milestone=following, payment_method="pm_card_visa")
    following = fresh(following)
    assert following.state == MilestoneState.FUNDED
    assert following.in_escrow_cents == 20_000
    topup = Transfer.objects.get(kind="milestone_fund", metadata__milestone_id=following.pk)
    assert topup.metadata["amount_cents"] == 15_000
    assert topup.idempotency_key == f"milestone:{following.pk}:fund:5000"


@pytest.mark.django_db
def test_bad_approvals_change_nothing():
    contract = contract_fixed((50_000,))
    milestone = submitted(funded(contract))
    before = snapshot()
    with pytest.raises(InvalidInput):
        milestone_approve(client=contract.client, milestone=milestone, amount=Money(50_001))
    with pytest.raises(InvalidInput):
        milestone_approve(client=contract.client, milestone=milestone, amount=Money(0))
    with pytest.raises(InvalidInput):
        milestone_approve(
            client=contract.client, milestone=milestone, amount=Money(100), remainder="keep"
        )
    with pytest.raises(InvalidInput):
        milestone_approve(client=contract.client, milestone=milestone, remainder="burn")
    with pytest.raises(Conflict):
        milestone_approve(client=contract.freelancer, milestone=milestone)
    with pytest.raises(NotFound):
        milestone_approve(client=client_user(), milestone=milestone)
    assert snapshot() == before


@pytest.mark.django_db
def test_approving_twice_releases_once():
    contract = contract_fixed((50_000,))
    milestone = submitted(funded(contract))
    milestone_approve(client=contract.client, milestone=milestone)
    with pytest.raises(InvalidTransition):
        milestone_approve(client=contract.client, milestone=milestone)
    assert Transfer.objects.filter(kind="milestone_release").count() == 1
    assert PendingEarning.objects.count() == 1


# --- auto-approval -----------------------------------------------------------------------


@pytest.mark.django_db
def test_auto_approval_comes_at_day_14_not_before_and_runs_twice_safely():
    contract = contract_fixed((50_000,))
    start = clock.now()
    with clock.frozen_at(start):
        milestone = submitted(funded(contract))
    day_12 = start + timedelta(days=12, minutes=1)
    assert milestone_auto_approve_run_due(now=day_12) == {"warned": 1, "approved": 0}
    assert milestone_auto_approve_run_due(now=day_12) == {"warned": 0, "approved": 0}
    assert OutboxEvent.objects.filter(kind="milestone.auto_approve_soon").count() == 1
    almost = start + timedelta(days=14) - timedelta(seconds=1)
    assert milestone_auto_approve_run_due(now=almost)["approved"] == 0
    assert fresh(milestone).state == MilestoneState.SUBMITTED
    due = start + timedelta(days=14)
    with clock.frozen_at(due):
        assert milestone_auto_approve_run_due(now=due)["approved"] == 1
        assert milestone_auto_approve_run_due(now=due)["approved"] == 0
    milestone = fresh(milestone)
    assert milestone.state == MilestoneState.APPROVED
    assert milestone.released_cents == 50_000
    release = Transfer.objects.get(kind="milestone_release")
    assert release.metadata["automatic"] is True


@pytest.mark.django_db
def test_auto_approval_skips_unfunded_work_and_changes_requested():
    contract = contract_fixed((50_000, 20_000))
    start = clock.now()
    with clock.frozen_at(start):
        unfunded = submitted(first(contract), acknowledge_unfunded=True)
        other = submitted(funded(contract, 1))
    milestone_request_changes(client=contract.client, milestone=other, message="Again")
    later = start + timedelta(days=15)
    assert milestone_auto_approve_run_due(now=later)["approved"] == 0
    assert fresh(unfunded).state == MilestoneState.SUBMITTED
    assert fresh(other).state == MilestoneState.CHANGES_REQUESTED


# --- cancelling and ending ---------------------------------------------------------------


@pytest.mark.django_db
def test_ending_without_any_release_refunds_escrow_and_the_initiation_fee():
    contract = contract_fixed((50_000,))
    milestone = funded(contract)
    with pytest.raises(Conflict):
        contract_end(user=contract.client, contract=contract)
    with pytest.raises(Conflict):
        milestone_cancel(user=contract.client, milestone=milestone)
    milestone_cancel(user=contract.freelancer, milestone=milestone)
    contract_end(user=contract.client, contract=contract)
    contract.refresh_from_db()
    assert contract.state == "ended"
    # Amount and initiation fee are back; the marketplace fee on the payment stays.
    assert balance(AccountKind.CLIENT_FUNDING, contract.client) == 50_000 + 295
    assert Transfer.objects.filter(kind="initiation_fee_refund").count() == 1


@pytest.mark.django_db
def test_ending_after_a_release_keeps_the_initiation_fee():
    contract = contract_fixed((50_000, 20_000))
    milestone_approve(client=contract.client, milestone=submitted(funded(contract)))
    milestone_cancel(user=contract.client, milestone=contract.milestones.order_by("position")[1])
    contract_end(user=contract.freelancer, contract=contract)
    assert not Transfer.objects.filter(kind="initiation_fee_refund").exists()
    with pytest.raises(Conflict):
        milestone_fund(client=contract.client, milestone=first(contract), payment_method="balance")
