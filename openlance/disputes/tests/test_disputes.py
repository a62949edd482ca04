"""Disputes on a fixed-price milestone's escrow (SPEC §9): frozen escrow, 5 business days to
respond or the opener wins, mediation by a split both accept, arbitration otherwise; every
outcome executed once through the ledger and recorded on the contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from openlance.accounts.models import AuditLogEntry
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing.models import Payment
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import (
    milestone_approve,
    milestone_auto_approve_run_due,
    milestone_cancel,
)
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Contract, Milestone
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.disputes.calendar import add_business_days
from openlance.disputes.models import Dispute
from openlance.disputes.selectors import mediation_queue
from openlance.disputes.services import (
    dispute_arbitrate,
    dispute_open,
    dispute_proposal_answer,
    dispute_propose,
    dispute_respond,
    disputes_run_due,
)
from openlance.ledger.models import AccountKind, LedgerAccount

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]


def funded(*, submitted: bool = False) -> tuple[Contract, Milestone]:
    contract = contract_fixed((40_000,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    if submitted:
        milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone.refresh_from_db()
    return contract, milestone


def mediator():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Mediator")[0])
    return user


def client_balance(contract: Contract) -> int:
    return LedgerAccount.objects.get(
        kind=AccountKind.CLIENT_FUNDING, owner=contract.client
    ).balance_cents


def test_business_days_skip_weekends():
    friday = datetime(2026, 12, 4, 15, tzinfo=UTC)
    assert add_business_days(friday, 5) == datetime(2026, 12, 11, 15, tzinfo=UTC)
    assert add_business_days(friday, 1) == datetime(2026, 12, 7, 15, tzinfo=UTC)
    saturday = datetime(2026, 12, 5, 9, tzinfo=UTC)
    assert add_business_days(saturday, 5) == datetime(2026, 12, 14, 9, tzinfo=UTC)


def test_unanswered_the_escrow_goes_to_the_client_who_opened_it_and_meanwhile_it_is_frozen():
    contract, milestone = funded(submitted=True)
    before = client_balance(contract)
    dispute = dispute_open(user=contract.client, milestone=milestone, reason="Nothing works.")
    assert (dispute.amount_cents, dispute.state) == (40_000, "awaiting_response")
    assert dispute.respond_by == add_business_days(dispute.opened_at, 5)
    milestone.refresh_from_db()
    assert (milestone.state, milestone.auto_approve_at) == ("disputed", None)
    # Frozen: no approval, cancellation, auto-approval or second dispute touches it.
    with pytest.raises(InvalidTransition):
        milestone_approve(client=contract.client, milestone=milestone)
    with pytest.raises(Conflict, match="in dispute"):
        milestone_cancel(user=contract.freelancer, milestone=milestone)
    later = clock.now() + timedelta(days=30)
    assert milestone_auto_approve_run_due(now=later)["approved"] == 0
    with pytest.raises(Conflict):
        dispute_open(user=contract.client, milestone=milestone, reason="Again")
    assert disputes_run_due(now=dispute.respond_by - timedelta(seconds=1))["decided"] == 0
    with clock.frozen_at(dispute.respond_by), pytest.raises(Conflict, match="over"):
        dispute_respond(user=contract.freelancer, dispute=dispute, response="Late")
    with clock.frozen_at(dispute.respond_by):
        assert disputes_run_due(now=dispute.respond_by) == {"decided": 1, "to_arbitration": 0}
        assert disputes_run_due(now=dispute.respond_by) == {"decided": 0, "to_arbitration": 0}
        with pytest.raises(InvalidTransition):
            dispute_respond(user=contract.freelancer, dispute=dispute, response="Too late")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.decided_by, dispute.freelancer_cents) == (
        "decided",
        "no_response",
        0,
    )
    milestone.refresh_from_db()
    assert (milestone.state, milestone.refunded_cents) == ("cancelled", 40_000)
    assert client_balance(contract) == before + 40_000
    contract.refresh_from_db()
    assert contract.dispute_decision == "against_freelancer"


def test_a_split_both_accept_is_executed_once_with_the_fee_on_the_freelancers_share():
    contract, milestone = funded(submitted=True)
    staff = mediator()
    dispute = dispute_open(
        user=contract.freelancer, milestone=milestone, reason="The client stopped answering."
    )
    with pytest.raises(Conflict, match="other side"):
        dispute_respond(user=contract.freelancer, dispute=dispute, response="Me again")
    dispute = dispute_respond(
        user=contract.client, dispute=dispute, response="Half the pages are missing."
    )
    assert dispute.state == "in_mediation"
    with pytest.raises(NotFound):
        dispute_propose(mediator=contract.client, dispute=dispute, freelancer_cents=1, note="x")
    with pytest.raises(InvalidInput):
        dispute_propose(mediator=staff, dispute=dispute, freelancer_cents=50_000, note="Too much")
    dispute = dispute_propose(
        mediator=staff, dispute=dispute, freelancer_cents=24_000, note="Three of five pages."
    )
    read = dispute.proposal_revision
    dispute = dispute_proposal_answer(
        user=contract.client, dispute=dispute, accept=True, revision=read
    )
    assert dispute.state == "proposed"
    dispute = dispute_proposal_answer(
        user=contract.freelancer, dispute=dispute, accept=True, revision=read
    )
    assert (dispute.state, dispute.decided_by, dispute.freelancer_cents) == (
        "decided",
        "agreement",
        24_000,
    )
    payment = Payment.objects.get(milestone_release__milestone=milestone)
    # A first $240 payment: 20% service fee.
    assert (payment.gross_cents, payment.fee_cents, payment.net_cents) == (24_000, 4_800, 19_200)
    milestone.refresh_from_db()
    assert (milestone.state, milestone.released_cents, milestone.refunded_cents) == (
        "approved",
        24_000,
        16_000,
    )
    contract.refresh_from_db()
    assert contract.dispute_decision == "split"
    assert AuditLogEntry.objects.filter(action="dispute.proposed", actor=staff).count() == 1
    with pytest.raises(InvalidTransition):
        dispute_proposal_answer(user=contract.client, dispute=dispute, accept=True, revision=read)


def test_a_rejected_split_goes_to_arbitration_which_a_mediator_records_and_executes():
    contract, milestone = funded(submitted=True)
    staff = mediator()
    dispute = dispute_open(user=contract.freelancer, milestone=milestone, reason="Unpaid work.")
    dispute = dispute_respond(user=contract.client, dispute=dispute, response="Not done.")
    dispute = dispute_propose(mediator=staff, dispute=dispute, freelancer_cents=10_000, note="x")
    dispute = dispute_proposal_answer(
        user=contract.freelancer, dispute=dispute, accept=False, revision=dispute.proposal_revision
    )
    assert (dispute.state, dispute.rejected_by) == ("arbitration", "freelancer")
    dispute = dispute_arbitrate(
        mediator=staff, dispute=dispute, freelancer_cents=40_000, note="The work was delivered."
    )
    assert dispute.decided_by == "arbitration"
    contract.refresh_from_db()
    assert contract.dispute_decision == "for_freelancer"
    assert AuditLogEntry.objects.filter(action="dispute.arbitrated").exists()
    with pytest.raises(InvalidTransition):
        dispute_arbitrate(mediator=staff, dispute=dispute, freelancer_cents=0, note="Again")


def test_who_may_open_what_and_a_stalled_mediation_goes_to_arbitration():
    contract, milestone = funded()  # funded, nothing submitted
    with pytest.raises(Conflict, match="nothing to dispute"):
        dispute_open(user=contract.freelancer, milestone=milestone, reason="Pay me")
    with pytest.raises(NotFound):
        dispute_open(user=UserFactory(), milestone=milestone, reason="Hi")
    with pytest.raises(InvalidInput):
        dispute_open(user=contract.client, milestone=milestone, reason=" ")
    dispute = dispute_open(user=contract.client, milestone=milestone, reason="Changed my mind")
    dispute = dispute_respond(user=contract.freelancer, dispute=dispute, response="I started.")
    assert dispute.mediate_by is not None
    assert disputes_run_due(now=dispute.mediate_by) == {"decided": 0, "to_arbitration": 1}
    dispute.refresh_from_db()
    assert dispute.state == "arbitration"


def test_both_sides_are_emailed_each_step():
    contract, milestone = funded(submitted=True)
    dispute_open(user=contract.freelancer, milestone=milestone, reason="Unpaid")
    outbox_drain(now=clock.now())
    opened = [m.to[0] for m in mail.outbox if "A dispute was opened" in m.subject]
    assert sorted(opened) == sorted([contract.client.email, contract.freelancer.email])


def test_the_pages_open_respond_mediate_and_show_the_outcome(client):
    contract, milestone = funded(submitted=True)
    client.force_login(contract.freelancer)
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "open a dispute" in room
    opened = client.post(f"/disputes/milestones/{milestone.pk}/open/", {"reason": "Unpaid"})
    dispute = Dispute.objects.get()
    assert opened["Location"] == f"/disputes/{dispute.pk}/"
    room = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="milestone-disputed"' in room
    client.force_login(contract.client)
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "Send the response" in page
    client.post(f"/disputes/{dispute.pk}/respond/", {"response": "Half done"})
    staff = mediator()
    client.force_login(staff)
    queue = client.get("/disputes/queue/").content.decode()
    assert contract.title in queue
    refused = client.post(
        f"/disputes/{dispute.pk}/propose/", {"freelancer_share": "900", "note": "x"}
    )
    assert refused.status_code == 422
    client.post(f"/disputes/{dispute.pk}/propose/", {"freelancer_share": "200", "note": "Half"})
    for user in (contract.client, contract.freelancer):
        client.force_login(user)
        dispute.refresh_from_db()
        client.post(
            f"/disputes/{dispute.pk}/proposal/accept/",
            {"proposal_revision": dispute.proposal_revision},
        )
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert 'data-testid="dispute-outcome"' in page
    assert "$200.00 to the freelancer, $200.00 back to the client" in page
    client.force_login(UserFactory())
    assert client.get(f"/disputes/{dispute.pk}/").status_code == 404
    assert client.get("/disputes/queue/").status_code == 404


def test_the_api_runs_a_dispute_to_an_arbitrated_outcome():
    contract, milestone = funded(submitted=True)
    staff = mediator()

    def post(user, path, body=None):
        token = token_create(user=user, name="t")[1]
        return Client().post(
            path,
            json.dumps(body or {}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    made = post(contract.client, f"/api/v1/milestones/{milestone.pk}/disputes", {"reason": "Bad"})
    assert made.status_code == 201, made.content
    dispute_id = made.json()["id"]
    assert (
        post(
            contract.freelancer, f"/api/v1/disputes/{dispute_id}/respond", {"response": "No"}
        ).status_code
        == 200
    )
    share = {"to_freelancer": {"amount": "100.00"}, "note": "A quarter"}
    assert (
        post(contract.client, f"/api/v1/disputes/{dispute_id}/proposal", share).status_code == 404
    )
    proposed = post(staff, f"/api/v1/disputes/{dispute_id}/proposal", share)
    assert proposed.status_code == 200
    read = {"proposal_revision": proposed.json()["proposal_revision"]}
    rejected = post(contract.client, f"/api/v1/disputes/{dispute_id}/proposal/reject", read)
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["state"] == "arbitration"
    decided = post(staff, f"/api/v1/disputes/{dispute_id}/arbitration", share).json()
    assert (
        decided["state"],
        decided["to_freelancer"]["amount"],
        decided["to_client"]["amount"],
    ) == (
        "decided",
        "100.00",
        "300.00",
    )
    assert (
        post(UserFactory(), f"/api/v1/disputes/{dispute_id}/respond", {"response": "x"}).status_code
        == 404
    )


def test_a_mediator_never_decides_a_dispute_of_their_own_contract():
    contract, milestone = funded(submitted=True)
    contract.client.is_staff = True
    contract.client.save(update_fields=["is_staff"])
    contract.client.groups.add(Group.objects.get_or_create(name="Mediator")[0])
    dispute = dispute_open(user=contract.freelancer, milestone=milestone, reason="Unpaid")
    dispute = dispute_respond(user=contract.client, dispute=dispute, response="Not done")
    with pytest.raises(NotFound):
        dispute_propose(mediator=contract.client, dispute=dispute, freelancer_cents=0, note="x")
    assert dispute not in list(mediation_queue(mediator=contract.client))


def test_an_answer_to_a_replaced_proposal_is_refused_and_a_stale_proposal_goes_to_arbitration():
    contract, milestone = funded(submitted=True)
    staff = mediator()
    dispute = dispute_open(user=contract.freelancer, milestone=milestone, reason="Unpaid")
    dispute = dispute_respond(user=contract.client, dispute=dispute, response="Not done")
    first = dispute_propose(mediator=staff, dispute=dispute, freelancer_cents=10_000, note="a")
    read = first.proposal_revision
    with clock.frozen_at(clock.now() + timedelta(minutes=5)):
        dispute_propose(mediator=staff, dispute=dispute, freelancer_cents=36_000, note="b")
    with pytest.raises(Conflict, match="changed the proposal"):
        dispute_proposal_answer(user=contract.client, dispute=dispute, accept=True, revision=read)
    dispute.refresh_from_db()
    assert dispute.mediate_by is not None
    assert disputes_run_due(now=dispute.mediate_by) == {"decided": 0, "to_arbitration": 1}
    dispute.refresh_from_db()
    assert dispute.state == "arbitration"


def test_escrow_kept_from_an_approval_never_flows_into_a_disputed_milestone():
    contract = contract_fixed((40_000, 30_000))
    first, second = contract.milestones.order_by("position")
    for milestone in (first, second):
        milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=second, message="Done")
    dispute_open(user=contract.client, milestone=second, reason="Not what we asked for")
    milestone_submit(freelancer=contract.freelancer, milestone=first, message="Done")
    # Keeping the rest of a partial approval finds no open milestone after it: the disputed
    # one is not one to carry into.
    with pytest.raises(InvalidInput, match="no later open milestone"):
        milestone_approve(
            client=contract.client, milestone=first, amount=Money(30_000), remainder="keep"
        )
    second.refresh_from_db()
    assert second.in_escrow_cents == 30_000


def test_a_lost_dispute_stays_on_the_contract_when_a_later_one_is_won():
    contract = contract_fixed((40_000, 30_000))
    first, second = contract.milestones.order_by("position")
    for milestone in (first, second):
        milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    lost = dispute_open(user=contract.client, milestone=first, reason="Nothing")
    with clock.frozen_at(lost.respond_by):
        disputes_run_due(now=lost.respond_by)
    milestone_submit(freelancer=contract.freelancer, milestone=second, message="Done")
    won = dispute_open(user=contract.freelancer, milestone=second, reason="Unpaid")
    with clock.frozen_at(won.respond_by):
        disputes_run_due(now=won.respond_by)
    contract.refresh_from_db()
    assert contract.dispute_decision == "against_freelancer"
