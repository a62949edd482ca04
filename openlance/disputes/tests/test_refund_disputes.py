"""A refund the freelancer rejected or left unanswered, disputed by the client (SPEC §7.3,
"rejection may lead to a dispute"; §9): the freelancer's part of the refund is held from
their money at once, and the decision refunds the client's share of the payment (the service
fee on it back in proportion) and releases the rest."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing.models import Payment, PendingEarning, Relationship
from openlance.billing.payouts import earnings_release_run_due, withdrawal_create
from openlance.billing.tests.payout_helpers import usable_method
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, RefundRequest, RefundRequestState
from openlance.contracts.payments.refunds import (
    refund_make,
    refund_request_accept,
    refund_request_open,
    refund_request_reject,
    refund_requests_lapse_run_due,
)
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import Conflict, InsufficientFunds, NotFound
from openlance.core.money import Money
from openlance.disputes.models import Dispute, DisputeState
from openlance.disputes.services import (
    dispute_concede,
    dispute_proposal_answer,
    dispute_propose,
    dispute_respond,
    disputes_run_due,
    refund_dispute_open,
)
from openlance.ledger.models import AccountKind, LedgerAccount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

# A first payment of $600: a $110 service fee, $490 to the freelancer (SPEC §8.2).
GROSS, FEE = 60_000, 11_000


def paid() -> tuple[Contract, Payment]:
    contract = contract_fixed((GROSS,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone_approve(client=contract.client, milestone=milestone)
    return contract, Payment.objects.get(milestone_release__contract=contract)


def asked(
    contract: Contract,
    payment: Payment,
    cents: int = 30_000,
    reason: str = "Half of the pages were never delivered.",
) -> RefundRequest:
    return refund_request_open(
        client=contract.client,
        contract=contract,
        payment=payment,
        amount=Money(cents),
        reason=reason,
    )


def rejected(contract: Contract, payment: Payment, cents: int = 30_000) -> RefundRequest:
    request = asked(contract, payment, cents)
    return refund_request_reject(
        freelancer=contract.freelancer, request=request, note="All of them were delivered."
    )


def balance(kind: AccountKind, owner=None, reference: str = "") -> int:
    account = LedgerAccount.objects.filter(kind=kind, owner=owner, reference=reference).first()
    return account.balance_cents if account else 0


def freelancer_money(contract: Contract) -> int:
    return balance(AccountKind.FREELANCER_AVAILABLE, contract.freelancer) + balance(
        AccountKind.FREELANCER_PENDING, contract.freelancer
    )


def held(request: RefundRequest) -> int:
    return balance(AccountKind.CONTRACT_ESCROW, reference=f"refund-request:{request.pk}")


def mediator():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Mediator")[0])
    return user


def test_disputing_a_rejected_refund_holds_the_freelancers_part_and_stops_other_refunds():
    contract, payment = paid()
    request = rejected(contract, payment)
    before = freelancer_money(contract)
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Not delivered.")
    request.refresh_from_db()
    assert (request.state, request.disputed_cents, dispute.amount_cents) == (
        RefundRequestState.DISPUTED,
        30_000,
        30_000,
    )
    assert dispute.subject.startswith("a refund of the payment of")
    # $300 back would return $55 of the fee: the freelancer's part, $245, is held.
    assert held(request) == 24_500
    assert freelancer_money(contract) == before - 24_500
    with pytest.raises(Conflict, match="dispute decides a refund"):
        refund_make(
            freelancer=contract.freelancer,
            contract=contract,
            payment=payment,
            amount=Money(100),
            reason="Sorry",
            key="k",
        )
    with pytest.raises(Conflict, match="dispute decides a refund"):
        refund_request_open(
            client=contract.client,
            contract=contract,
            payment=payment,
            amount=Money(100),
            reason="Again",
        )
    with pytest.raises(Conflict):  # once per request
        refund_dispute_open(user=contract.client, request=request, reason="Again.")


def test_unanswered_the_refund_is_made_with_its_fee_back_in_proportion():
    contract, payment = paid()
    request = rejected(contract, payment)
    client_before = balance(AccountKind.CLIENT_FUNDING, contract.client)
    freelancer_before = freelancer_money(contract)
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Not delivered.")
    disputes_run_due(now=dispute.respond_by + timedelta(minutes=1))
    disputes_run_due(now=dispute.respond_by + timedelta(minutes=2))  # acts once
    dispute.refresh_from_db()
    request.refresh_from_db()
    payment.refresh_from_db()
    assert (dispute.state, dispute.freelancer_cents) == (DisputeState.DECIDED, 0)
    assert request.state == RefundRequestState.SETTLED
    assert request.refund is not None
    assert request.refund.amount_cents == 30_000
    assert balance(AccountKind.CLIENT_FUNDING, contract.client) == client_before + 30_000
    assert (payment.refunded_cents, payment.refunded_fee_cents) == (30_000, 5_500)
    assert freelancer_money(contract) == freelancer_before - 24_500
    assert held(request) == 0
    relationship = Relationship.objects.get()
    assert (relationship.gross_cents, relationship.fee_cents, relationship.net_cents) == (
        30_000,
        5_500,
        24_500,
    )
    contract.refresh_from_db()
    assert contract.dispute_decision == "against_freelancer"


def test_a_split_both_accept_refunds_the_clients_share_and_releases_the_rest():
    contract, payment = paid()
    request = rejected(contract, payment)
    client_before = balance(AccountKind.CLIENT_FUNDING, contract.client)
    freelancer_before = freelancer_money(contract)
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Not delivered.")
    dispute_respond(user=contract.freelancer, dispute=dispute, response="Delivered on time.")
    staff = mediator()
    proposed = dispute_propose(
        mediator=staff, dispute=dispute, freelancer_cents=10_000, note="Two pages of six."
    )
    for side in (contract.client, contract.freelancer):
        dispute_proposal_answer(
            user=side, dispute=dispute, accept=True, revision=proposed.proposal_revision
        )
    payment.refresh_from_db()
    # $200 refunded: the fee back is $36.67 (11,000 * 20,000 / 60,000), the freelancer gives
    # $163.33 and keeps the rest of what was held.
    assert (payment.refunded_cents, payment.refunded_fee_cents) == (20_000, 3_667)
    assert balance(AccountKind.CLIENT_FUNDING, contract.client) == client_before + 20_000
    assert freelancer_money(contract) == freelancer_before - 16_333
    assert held(request) == 0
    # Decided within the payment's security period: what the hold took from pending goes
    # back there, and waits out the period with the rest of the earning.
    earning = PendingEarning.objects.get(transfer=payment.transfer_id)
    assert balance(AccountKind.FREELANCER_AVAILABLE, contract.freelancer) == 0
    assert balance(AccountKind.FREELANCER_PENDING, contract.freelancer) == 49_000 - 16_333
    assert (earning.amount_cents, earning.released_at) == (49_000 - 16_333, None)


def test_a_hold_ended_after_the_security_period_gives_back_to_available():
    contract, payment = paid()
    request = rejected(contract, payment, cents=GROSS)
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Nothing came.")
    dispute_respond(user=contract.freelancer, dispute=dispute, response="Delivered on time.")
    later = clock.now() + timedelta(days=6)
    with clock.frozen_at(later):
        proposed = dispute_propose(
            mediator=mediator(), dispute=dispute, freelancer_cents=GROSS, note="All delivered."
        )
        for side in (contract.client, contract.freelancer):
            dispute_proposal_answer(
                user=side, dispute=dispute, accept=True, revision=proposed.proposal_revision
            )
    assert balance(AccountKind.FREELANCER_AVAILABLE, contract.freelancer) == 49_000
    assert balance(AccountKind.FREELANCER_PENDING, contract.freelancer) == 0
    assert not PendingEarning.objects.exists()


def test_another_request_is_not_accepted_while_a_dispute_decides_the_payment():
    contract, payment = paid()
    request = rejected(contract, payment)
    waiting = asked(contract, payment, 5_000, "The logo is missing.")
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Not delivered.")
    with pytest.raises(Conflict, match="dispute decides a refund"):
        refund_request_accept(freelancer=contract.freelancer, request=waiting)
    waiting.refresh_from_db()
    assert waiting.state == RefundRequestState.PENDING
    dispute_concede(user=contract.freelancer, dispute=dispute)
    request.refresh_from_db()
    assert request.state == RefundRequestState.SETTLED
    assert held(request) == 0
    refund_request_accept(freelancer=contract.freelancer, request=waiting)
    payment.refresh_from_db()
    assert payment.refunded_cents == 35_000


def test_the_freelancer_may_concede_the_refund():
    contract, payment = paid()
    request = rejected(contract, payment, cents=GROSS)
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Nothing came.")
    assert not PendingEarning.objects.exists()  # the hold took the whole earning
    dispute_concede(user=contract.freelancer, dispute=dispute)
    payment.refresh_from_db()
    assert (payment.refunded_cents, payment.refunded_fee_cents) == (GROSS, FEE)
    assert freelancer_money(contract) == 0
    assert not PendingEarning.objects.exists()
    contract.refresh_from_db()
    assert contract.dispute_decision == "none"  # a concession decides nothing against anyone


def test_money_already_withdrawn_limits_the_dispute_to_what_is_left():
    contract, payment = paid()
    freelancer = contract.freelancer
    earnings_release_run_due(now=clock.now() + timedelta(days=6))
    method = usable_method(freelancer)
    withdrawal_create(user=freelancer, amount=Money(40_000), key="w", method_id=method.pk)
    assert freelancer_money(contract) == 9_000
    request = rejected(contract, payment, cents=GROSS)
    dispute = refund_dispute_open(user=contract.client, request=request, reason="Nothing came.")
    # The largest refund whose freelancer's part ($90.00 at most) they still hold.
    assert held(request) <= 9_000
    assert 0 < dispute.amount_cents < GROSS
    fee_back = lambda cents: (FEE * cents * 2 + GROSS) // (2 * GROSS)  # noqa: E731
    assert dispute.amount_cents - fee_back(dispute.amount_cents) <= 9_000
    assert dispute.amount_cents + 1 - fee_back(dispute.amount_cents + 1) > 9_000

    other_contract, other_payment = paid()
    earnings_release_run_due(now=clock.now() + timedelta(days=6))
    other = other_contract.freelancer
    withdrawal_create(user=other, amount=Money(49_000), key="w2", method_id=usable_method(other).pk)
    empty = rejected(other_contract, other_payment)
    with pytest.raises(InsufficientFunds, match="withdrawn"):
        refund_dispute_open(user=other_contract.client, request=empty, reason="Nothing came.")
    empty.refresh_from_db()
    assert empty.state == RefundRequestState.REJECTED


def test_who_may_dispute_and_when():
    contract, payment = paid()
    request = asked(contract, payment, 1_000, "A typo.")
    with pytest.raises(Conflict, match="rejected or left unanswered"):
        refund_dispute_open(user=contract.client, request=request, reason="x")
    with pytest.raises(NotFound):
        refund_dispute_open(user=UserFactory(), request=request, reason="x")
    # Unanswered for 7 days, it lapses and may be disputed for 30 days from then, however
    # late the run that marks it comes.
    late = request.answer_by + timedelta(days=3)
    with clock.frozen_at(late):
        refund_requests_lapse_run_due(now=late)
    request.refresh_from_db()
    assert (request.state, request.answered_at) == (RefundRequestState.LAPSED, request.answer_by)
    with pytest.raises(Conflict, match="The client disputes"):
        refund_dispute_open(user=contract.freelancer, request=request, reason="x")
    with clock.frozen_at(request.answer_by + timedelta(days=31)), pytest.raises(Conflict):
        refund_dispute_open(user=contract.client, request=request, reason="x")
    with clock.frozen_at(request.answer_by + timedelta(days=29)):
        assert refund_dispute_open(user=contract.client, request=request, reason="x").pk


def test_the_room_offers_the_dispute_and_the_api_opens_one():
    contract, payment = paid()
    request = rejected(contract, payment)
    browser = Client()
    browser.force_login(contract.client)
    room = browser.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Not agreed: open a dispute" in room
    assert 'data-testid="refund-dispute-form"' in room
    browser.force_login(contract.freelancer)
    assert (
        'data-testid="refund-dispute-form"'
        not in browser.get(f"/contracts/{contract.pk}/").content.decode()
    )

    api = Client()
    stranger = {"Authorization": f"Bearer {token_create(user=UserFactory(), name='t')[1]}"}
    auth = {"Authorization": f"Bearer {token_create(user=contract.client, name='t')[1]}"}
    path = f"/api/v1/refund-requests/{request.pk}/dispute"
    body = json.dumps({"reason": "Not delivered."})
    assert (
        api.post(path, body, content_type="application/json", headers=stranger).status_code == 404
    )
    opened = api.post(path, body, content_type="application/json", headers=auth)
    assert opened.status_code == 201, opened.content
    assert opened.json()["refund_request_id"] == request.pk
    assert opened.json()["amount"]["amount"] == "300.00"

    browser.force_login(contract.client)
    page = browser.get(f"/disputes/refund-requests/{request.pk}/", follow=True).content.decode()
    assert "Refund disputed, held" in page
    room = browser.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="refund-disputed"' in room
    assert Dispute.objects.count() == 1
