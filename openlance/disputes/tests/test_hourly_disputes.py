"""Hourly and expense disputes (SPEC §9): the client disputes an invoice in its review
window, the contract is paused, the freelancer has 3 days to respond, and a mediator decides
which hours are billed (paid) and which refunded; an uncharged invoice is billed for the
decided hours alone and hourly protection still covers the tracked ones among them. A funded
expense's escrow is disputed like a milestone's. Also: conceding, and ending a fixed-price
contract whose escrow the sides do not agree on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from openlance.accounts.models import AuditLogEntry
from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import UserFactory
from openlance.billing.models import Payment
from openlance.billing.services import funds_deposit
from openlance.contracts.common import escrow_account
from openlance.contracts.hourly import weeks
from openlance.contracts.hourly.services import (
    hourly_invoice_run_due,
    hourly_review_close_run_due,
    in_review_account,
    time_entry_add,
)
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import (
    Contract,
    ContractState,
    DisputeDecision,
    Expense,
    ExpenseState,
    HourlyInvoice,
    InvoiceState,
    MilestoneState,
    TimeEntrySource,
)
from openlance.contracts.payments.expenses import (
    expense_accept,
    expense_fund,
    expense_propose,
    expense_release,
    expense_withdraw,
)
from openlance.contracts.tests.factories import contract_fixed, contract_hourly
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.money import Money
from openlance.core.services import outbox_drain
from openlance.core.tests.files import pdf_upload
from openlance.disputes.models import DecidedBy, Dispute, DisputeState
from openlance.disputes.services import (
    contract_end_disputed,
    dispute_arbitrate,
    dispute_concede,
    dispute_decide_hours,
    dispute_open,
    dispute_proposal_answer,
    dispute_propose,
    dispute_respond,
    disputes_run_due,
    expense_dispute_open,
    invoice_dispute_open,
)
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.messaging.services import conversation_open, message_send
from openlance.profiles.models import ClientProfile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
WEEK = MONDAY.date()
INVOICED = weeks.week_locks_at(WEEK)  # the next Monday noon
TUESDAY = INVOICED + timedelta(days=1)
RATE = 4_000


def mediator():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Mediator")[0])
    return user


def client_balance(contract: Contract) -> int:
    return LedgerAccount.objects.get(
        kind=AccountKind.CLIENT_FUNDING, owner=contract.client
    ).balance_cents


def invoiced(*, funded: bool = True, tracked_hours: int = 6, manual_hours: int = 4) -> Contract:
    """An hourly contract whose week of 10 hours ($400) is invoiced Monday noon, charged when
    the client's balance covers it."""
    with clock.frozen_at(MONDAY + timedelta(hours=8)):
        contract = contract_hourly(rate_cents=RATE)
    Contract.objects.filter(pk=contract.pk).update(manual_time_allowed=True)
    contract.refresh_from_db()
    for day, (hours, source) in enumerate(
        ((tracked_hours, TimeEntrySource.TRACKED), (manual_hours, TimeEntrySource.MANUAL))
    ):
        start = MONDAY + timedelta(days=day, hours=9)
        with clock.frozen_at(start + timedelta(hours=hours)):
            time_entry_add(
                user=contract.freelancer,
                contract=contract,
                started_at=start,
                ended_at=start + timedelta(hours=hours),
                memo="Built the export",
                source=source,
            )
    if funded:
        funds_deposit(
            user=contract.client, amount=Money(100_000), payment_method="pm_card_visa", key="k"
        )
    hourly_invoice_run_due(now=INVOICED)
    return contract


def disputed(contract: Contract) -> Dispute:
    with clock.frozen_at(TUESDAY):
        return invoice_dispute_open(
            user=contract.client,
            invoice=contract.invoices.get(),
            reason="Thursday's hours were not agreed.",
        )


def responded(dispute: Dispute) -> Dispute:
    with clock.frozen_at(TUESDAY + timedelta(days=1)):
        return dispute_respond(
            user=dispute.contract.freelancer, dispute=dispute, response="They were, in chat."
        )


def test_a_charged_invoice_the_mediator_cuts_pays_the_hours_that_stand_and_refunds_the_rest():
    contract = invoiced()
    invoice = contract.invoices.get()
    assert (invoice.state, invoice.amount_cents) == (InvoiceState.IN_REVIEW, 40_000)
    before = client_balance(contract)
    dispute = disputed(contract)
    contract.refresh_from_db()
    assert contract.state == ContractState.PAUSED
    assert (dispute.amount_cents, dispute.respond_by) == (40_000, TUESDAY + timedelta(days=3))
    # The review ends meanwhile: nothing is paid while it is disputed.
    saturday = weeks.review_ends_at(WEEK)
    assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 0}
    dispute = responded(dispute)
    assert dispute.state == DisputeState.IN_MEDIATION
    staff = mediator()
    with pytest.raises(InvalidTransition, match="hours"):
        dispute_propose(mediator=staff, dispute=dispute, freelancer_cents=100, note="Half")
    with pytest.raises(InvalidInput):
        dispute_decide_hours(mediator=staff, dispute=dispute, billed_seconds=11 * 3600, note="x")
    with pytest.raises(NotFound):
        dispute_decide_hours(
            mediator=contract.client, dispute=dispute, billed_seconds=3600, note="x"
        )
    with clock.frozen_at(saturday + timedelta(days=2)):
        decided = dispute_decide_hours(
            mediator=staff,
            dispute=dispute,
            billed_seconds=7 * 3600 + 1800,
            note="The tracked hours and 1.5 of the manual ones stand.",
        )
    assert (decided.state, decided.decided_by) == (DisputeState.DECIDED, DecidedBy.MEDIATOR)
    assert (decided.freelancer_cents, decided.client_cents) == (30_000, 10_000)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.refunded_seconds, invoice.refunded_cents) == (
        InvoiceState.PAID,
        2 * 3600 + 1800,
        10_000,
    )
    assert invoice.payment.gross_cents == 30_000
    assert Payment.objects.filter(relationship__freelancer=contract.freelancer).count() == 1
    assert client_balance(contract) == before + 10_000
    assert in_review_account(contract).balance_cents == 0
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE  # resumed with the decision
    assert contract.pauses.get().ended_at is not None
    assert contract.dispute_decision == DisputeDecision.SPLIT
    assert AuditLogEntry.objects.filter(action="dispute.hours_decided").count() == 1
    with pytest.raises(InvalidTransition):
        dispute_decide_hours(mediator=staff, dispute=decided, billed_seconds=0, note="Again")


def test_no_response_in_3_days_bills_no_hour_and_the_rule_acts_once():
    contract = invoiced()
    dispute = disputed(contract)
    before = client_balance(contract)
    assert disputes_run_due(now=dispute.respond_by - timedelta(seconds=1))["decided"] == 0
    assert disputes_run_due(now=dispute.respond_by) == {"decided": 1, "to_arbitration": 0}
    assert disputes_run_due(now=dispute.respond_by) == {"decided": 0, "to_arbitration": 0}
    dispute.refresh_from_db()
    assert (dispute.decided_by, dispute.billed_seconds, dispute.freelancer_cents) == (
        DecidedBy.NO_RESPONSE,
        0,
        0,
    )
    invoice = contract.invoices.get()
    assert (invoice.state, invoice.refunded_cents) == (InvoiceState.REFUNDED, 40_000)
    assert client_balance(contract) == before + 40_000
    assert not Payment.objects.filter(relationship__freelancer=contract.freelancer).exists()
    contract.refresh_from_db()
    assert contract.dispute_decision == DisputeDecision.AGAINST_FREELANCER


def test_an_uncharged_invoice_is_billed_for_the_decided_hours_and_protection_still_covers_them():
    contract = invoiced(funded=False)
    ClientProfile.objects.filter(user=contract.client).update(payment_method_verified=True)
    invoice = contract.invoices.get()
    assert (invoice.state, invoice.charge_id) == (InvoiceState.UNPAID, None)
    dispute = responded(disputed(contract))
    with clock.frozen_at(TUESDAY + timedelta(days=2)):
        dispute_decide_hours(
            mediator=mediator(), dispute=dispute, billed_seconds=5 * 3600, note="Five hours."
        )
    invoice.refresh_from_db()
    assert (invoice.state, invoice.seconds_billed, invoice.amount_cents) == (
        InvoiceState.UNPAID,
        5 * 3600,
        20_000,
    )
    assert (invoice.refunded_seconds, invoice.refunded_cents) == (5 * 3600, 0)
    assert invoice.marketplace_fee_cents == 600  # 3% of what is billed now
    # The client still cannot pay: hourly protection pays the tracked hours among the five.
    saturday = weeks.review_ends_at(WEEK)
    assert hourly_review_close_run_due(now=saturday) == {"paid": 0, "protected": 1}
    invoice.refresh_from_db()
    assert (invoice.state, invoice.protected_cents) == (InvoiceState.PROTECTED, 20_000)
    # Once the client pays, the platform is repaid; the freelancer is never paid twice.
    funds_deposit(
        user=contract.client, amount=Money(50_000), payment_method="pm_card_visa", key="late"
    )
    hourly_invoice_run_due(now=saturday + timedelta(hours=1))
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.PAID
    assert client_balance(contract) == 50_000 - invoice.total_cents


def test_the_freelancer_concedes_and_an_invoice_is_disputed_once():
    contract = invoiced()
    dispute = disputed(contract)
    with pytest.raises(Conflict, match="other side"):
        dispute_concede(user=contract.client, dispute=dispute)
    with pytest.raises(NotFound):
        dispute_concede(user=UserFactory(), dispute=dispute)
    decided = dispute_concede(user=contract.freelancer, dispute=dispute)
    assert (decided.decided_by, decided.freelancer_cents) == (DecidedBy.CONCEDED, 0)
    with pytest.raises(InvalidTransition):
        dispute_concede(user=contract.freelancer, dispute=dispute)
    invoice = contract.invoices.get()
    assert invoice.state == InvoiceState.REFUNDED
    with clock.frozen_at(TUESDAY + timedelta(hours=1)), pytest.raises(Conflict, match="stands"):
        invoice_dispute_open(user=contract.client, invoice=invoice, reason="Again")
    assert Dispute.objects.count() == 1


def test_only_the_client_disputes_an_invoice_and_not_a_zero_one():
    contract = invoiced()
    invoice = contract.invoices.get()
    with clock.frozen_at(TUESDAY):
        with pytest.raises(Conflict):
            invoice_dispute_open(user=contract.freelancer, invoice=invoice, reason="x")
        with pytest.raises(NotFound):
            invoice_dispute_open(user=UserFactory(), invoice=invoice, reason="x")
    HourlyInvoice.objects.filter(pk=invoice.pk).update(amount_cents=0, seconds_billed=0)
    invoice.refresh_from_db()
    with clock.frozen_at(TUESDAY), pytest.raises(Conflict, match="nothing"):
        invoice_dispute_open(user=contract.client, invoice=invoice, reason="x")
    assert not Dispute.objects.exists()


def test_the_client_concedes_a_freelancers_fixed_price_dispute_and_the_escrow_is_released():
    contract = contract_fixed((40_000,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    dispute = dispute_open(user=contract.freelancer, milestone=milestone, reason="Unpaid")
    decided = dispute_concede(user=contract.client, dispute=dispute)
    assert (decided.decided_by, decided.freelancer_cents) == (DecidedBy.CONCEDED, 40_000)
    milestone.refresh_from_db()
    assert (milestone.state, milestone.released_cents) == (MilestoneState.APPROVED, 40_000)


def fixed_with_every_kind_of_open_milestone() -> Contract:
    """Unfunded, funded (not submitted) and submitted milestones."""
    contract = contract_fixed((10_000, 20_000, 30_000))
    _, funded, submitted = contract.milestones.order_by("position")
    for milestone in (funded, submitted):
        milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=submitted, message="Done")
    return contract


def test_the_client_ends_with_escrow_and_disputes_open_on_it_while_it_stays_frozen():
    contract = fixed_with_every_kind_of_open_milestone()
    before = client_balance(contract)
    with pytest.raises(InvalidInput):
        contract_end_disputed(user=contract.client, contract=contract, reason=" ")
    opened = contract_end_disputed(
        user=contract.client, contract=contract, reason="The work stopped."
    )
    assert len(opened) == 2
    assert {d.amount_cents for d in opened} == {20_000, 30_000}
    contract.refresh_from_db()
    assert contract.state == ContractState.ENDED
    states = list(contract.milestones.order_by("position").values_list("state", flat=True))
    assert states == [MilestoneState.CANCELLED, MilestoneState.DISPUTED, MilestoneState.DISPUTED]
    escrow = escrow_account(contract)
    assert escrow.balance_cents == 50_000  # frozen for the decisions
    assert client_balance(contract) == before  # nothing refunded around the disputes
    # Unanswered, each goes to the client who opened it, though the contract has ended.
    assert disputes_run_due(now=max(d.respond_by for d in opened))["decided"] == 2
    escrow.refresh_from_db()
    assert escrow.balance_cents == 0
    # Nothing was ever released: the initiation fee comes back with the last decision.
    contract.refresh_from_db()
    assert client_balance(contract) == before + 50_000 + contract.initiation_fee_cents


def test_the_freelancer_ends_gives_up_unsubmitted_work_and_disputes_submitted_work():
    contract = fixed_with_every_kind_of_open_milestone()
    before = client_balance(contract)
    opened = contract_end_disputed(
        user=contract.freelancer, contract=contract, reason="Delivered; never paid."
    )
    assert [d.amount_cents for d in opened] == [30_000]
    assert opened[0].opened_by == "freelancer"
    assert client_balance(contract) == before + 20_000  # the funded, unsubmitted one
    contract.refresh_from_db()
    assert contract.state == ContractState.ENDED


def test_ending_with_disputes_is_all_or_nothing_and_covers_an_hourly_contracts_expenses():
    contract = fixed_with_every_kind_of_open_milestone()
    with pytest.raises(NotFound):
        contract_end_disputed(user=UserFactory(), contract=contract, reason="x")
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE
    with clock.frozen_at(MONDAY):
        hourly = contract_hourly()
    funded = funded_expense(hourly)
    unfunded = expense_propose(
        freelancer=hourly.freelancer,
        contract=hourly,
        description="Fonts",
        amount=Money(5_000),
        receipt=pdf_upload("fonts.pdf"),
    )
    expense_accept(client=hourly.client, expense=unfunded)
    with pytest.raises(Conflict, match="not reimbursed"):
        contract_end_disputed(user=hourly.client, contract=hourly, reason="Stopped")
    assert not Dispute.objects.exists()  # nothing opened: all or nothing
    expense_withdraw(freelancer=hourly.freelancer, expense=unfunded)
    opened = contract_end_disputed(user=hourly.client, contract=hourly, reason="Stopped")
    assert [d.expense_id for d in opened] == [funded.pk]
    hourly.refresh_from_db()
    assert hourly.state == ContractState.ENDED


def test_a_whole_invoice_counted_to_the_second_can_be_billed_from_the_form():
    contract = invoiced()
    # A week counted to the second: 9:59:50, not a whole number of hundredths of an hour.
    HourlyInvoice.objects.filter(contract=contract).update(
        seconds_logged=35_990, seconds_billed=35_990
    )
    dispute = responded(disputed(contract))
    staff_page = _login(mediator())
    form = staff_page.get(f"/disputes/{dispute.pk}/").content.decode()
    default = re.search(r'name="hours" value="([0-9.]+)"', form).group(1)
    with clock.frozen_at(TUESDAY + timedelta(days=2)):
        staff_page.post(f"/disputes/{dispute.pk}/hours/", {"hours": default, "note": "All of it"})
    dispute.refresh_from_db()
    assert dispute.billed_seconds == 35_990
    assert dispute.decided_by == DecidedBy.MEDIATOR


def test_a_contract_ended_with_disputes_gets_its_initiation_fee_back_if_nothing_is_released():
    contract = contract_fixed((10_000,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    contract.refresh_from_db()
    assert contract.initiation_fee_cents > 0
    before = client_balance(contract)
    (dispute,) = contract_end_disputed(user=contract.client, contract=contract, reason="Stop")
    assert client_balance(contract) == before  # the fee waits for the decision
    disputes_run_due(now=dispute.respond_by)
    assert client_balance(contract) == before + 10_000 + contract.initiation_fee_cents


def test_the_client_disputes_escrow_carried_into_an_unfunded_milestone_at_the_end():
    contract = contract_fixed((50_000, 80_000))
    first, second = contract.milestones.order_by("position")
    milestone_fund(client=contract.client, milestone=first, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=first, message="Done")
    milestone_approve(
        client=contract.client, milestone=first, amount=Money(20_000), remainder="keep"
    )
    second.refresh_from_db()
    assert (second.state, second.in_escrow_cents) == (MilestoneState.NOT_FUNDED, 30_000)
    (dispute,) = contract_end_disputed(user=contract.client, contract=contract, reason="Stop")
    assert (dispute.milestone_id, dispute.amount_cents) == (second.pk, 30_000)


def test_a_concession_does_not_count_against_the_freelancer():
    contract = contract_fixed((10_000,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    dispute = dispute_open(user=contract.client, milestone=milestone, reason="Changed plans")
    dispute_concede(user=contract.freelancer, dispute=dispute)
    contract.refresh_from_db()
    assert contract.dispute_decision == DisputeDecision.NONE


def _login(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_pages_the_timesheet_dispute_the_mediators_case_file_and_hours_form():
    contract = invoiced()
    conversation = conversation_open(
        topic=f"contract:{contract.pk}",
        title=contract.title,
        members=[contract.client, contract.freelancer],
    )
    with clock.frozen_at(MONDAY + timedelta(hours=9)):
        message_send(
            sender=contract.client,
            conversation=conversation,
            body="Please keep Thursday for the import only.",
        )
    client_page = _login(contract.client)
    invoice = contract.invoices.get()
    with clock.frozen_at(TUESDAY):
        timesheet = client_page.get(f"/contracts/{contract.pk}/timesheet/?week={WEEK}")
        assert b'data-testid="dispute-form"' in timesheet.content
        empty = client_page.post(f"/disputes/invoices/{invoice.pk}/open/", {"reason": ""})
        assert empty.status_code == 302
        assert "#dispute" in empty["Location"]
        opened = client_page.post(
            f"/disputes/invoices/{invoice.pk}/open/", {"reason": "Thursday was not agreed."}
        )
    dispute = Dispute.objects.get()
    assert opened["Location"] == f"/disputes/{dispute.pk}/"
    with clock.frozen_at(TUESDAY):
        timesheet = client_page.get(f"/contracts/{contract.pk}/timesheet/?week={WEEK}")
    assert b'data-testid="invoice-dispute-link"' in timesheet.content
    assert _login(contract.client).get(f"/disputes/invoices/{invoice.pk}/")["Location"] == (
        f"/disputes/{dispute.pk}/"
    )
    freelancer_page = _login(contract.freelancer).get(f"/disputes/{dispute.pk}/")
    assert b'data-testid="concede"' in freelancer_page.content
    responded(dispute)
    staff = mediator()
    staff_page = _login(staff)
    page = staff_page.get(f"/disputes/{dispute.pk}/")
    assert page.status_code == 200
    assert b'data-testid="case-time"' in page.content
    assert b"Built the export" in page.content
    assert b"Thursday for the import only" in page.content
    assert b'name="hours"' in page.content
    bad = staff_page.post(f"/disputes/{dispute.pk}/hours/", {"hours": "99", "note": "x"})
    assert bad.status_code == 422
    with clock.frozen_at(TUESDAY + timedelta(days=2)):
        done = staff_page.post(f"/disputes/{dispute.pk}/hours/", {"hours": "7.5", "note": "Fair"})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.billed_seconds, dispute.freelancer_cents) == (7 * 3600 + 1800, 30_000)
    assert (
        b'data-testid="dispute-outcome"'
        in _login(contract.freelancer).get(f"/disputes/{dispute.pk}/").content
    )
    # Emails: opened, in mediation and decided, each to both sides.
    outbox_drain(now=clock.now())
    subjects = [m.subject for m in mail.outbox if "dispute" in m.subject.lower()]
    assert len(subjects) == 6


def test_the_case_file_serves_the_contracts_files_to_mediators_only():
    contract = fixed_with_every_kind_of_open_milestone()
    submitted = contract.milestones.get(state=MilestoneState.SUBMITTED)
    dispute = dispute_open(user=contract.client, milestone=submitted, reason="Not as agreed")
    staff = mediator()
    page = _login(staff).get(f"/disputes/{dispute.pk}/")
    assert b'data-testid="case-file"' in page.content
    assert b"Done" in page.content  # the submission's message
    missing = _login(staff).get(f"/disputes/{dispute.pk}/files/submission/999999/")
    assert missing.status_code == 404
    stranger = _login(UserFactory()).get(f"/disputes/{dispute.pk}/files/receipt/1/")
    assert stranger.status_code == 404
    assert (
        b'data-testid="case-file"'
        not in _login(contract.client).get(f"/disputes/{dispute.pk}/").content
    )


def test_the_contract_room_offers_to_end_with_disputes_and_the_api_does_it():
    contract = fixed_with_every_kind_of_open_milestone()
    room = _login(contract.client).get(f"/contracts/{contract.pk}/")
    assert b'data-testid="end-disputed-form"' in room.content
    token = token_create(user=contract.client, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    path = f"/api/v1/contracts/{contract.pk}/end-with-disputes"
    assert api.post(path, {"reason": ""}, content_type="application/json").status_code == 422
    response = api.post(path, {"reason": "Stopped"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert sorted(d["amount"]["amount"] for d in response.json()) == ["200.00", "300.00"]
    dispute_id = response.json()[0]["id"]
    freelancer_token = token_create(user=contract.freelancer, name="t")[1]
    conceded = Client(HTTP_AUTHORIZATION=f"Bearer {freelancer_token}").post(
        f"/api/v1/disputes/{dispute_id}/concede"
    )
    assert conceded.status_code == 200, conceded.content
    assert conceded.json()["decided_by"] == "conceded"


def test_a_mediator_decides_hours_through_the_api():
    contract = invoiced()
    dispute = responded(disputed(contract))
    staff = mediator()
    token = token_create(user=staff, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    path = f"/api/v1/disputes/{dispute.pk}/hours"
    too_many = api.post(path, {"billed_seconds": 10**9, "note": "x"}, "application/json")
    assert too_many.status_code == 422
    with clock.frozen_at(TUESDAY + timedelta(days=2)):
        done = api.post(path, {"billed_seconds": 36_000, "note": "All"}, "application/json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["invoice_id"], body["billed_seconds"], body["to_freelancer"]["amount"]) == (
        contract.invoices.get().pk,
        36_000,
        "400.00",
    )
    contract.refresh_from_db()
    assert contract.dispute_decision == DisputeDecision.FOR_FREELANCER


def funded_expense(contract: Contract, cents: int = 12_000) -> Expense:
    expense = expense_propose(
        freelancer=contract.freelancer,
        contract=contract,
        description="Stock photo licences",
        amount=Money(cents),
        receipt=pdf_upload("receipt.pdf"),
    )
    expense_accept(client=contract.client, expense=expense)
    return expense_fund(client=contract.client, expense=expense, payment_method="pm_card_visa")


def test_a_funded_expense_disputed_is_frozen_and_split_by_arbitration_without_a_fee():
    contract = contract_fixed((10_000,))
    expense = funded_expense(contract)
    dispute = expense_dispute_open(
        user=contract.freelancer, expense=expense, reason="Agreed in chat; never reimbursed."
    )
    assert (dispute.expense_id, dispute.amount_cents) == (expense.pk, 12_000)
    with pytest.raises(InvalidTransition):
        expense_release(client=contract.client, expense=expense)
    with pytest.raises(InvalidTransition):
        expense_withdraw(freelancer=contract.freelancer, expense=expense)
    with pytest.raises(Conflict):
        expense_dispute_open(user=contract.client, expense=expense, reason="Mine")
    before = client_balance(contract)
    staff = mediator()
    with clock.frozen_at(dispute.opened_at + timedelta(days=1)):
        dispute = dispute_respond(user=contract.client, dispute=dispute, response="Too dear.")
        dispute = dispute_proposal_answer(
            user=contract.client,
            dispute=dispute_propose(
                mediator=staff, dispute=dispute, freelancer_cents=9_000, note="Three of four"
            ),
            accept=False,
            revision=1,
        )
        decided = dispute_arbitrate(
            mediator=staff, dispute=dispute, freelancer_cents=9_000, note="Three of four"
        )
    assert (decided.freelancer_cents, decided.client_cents) == (9_000, 3_000)
    expense.refresh_from_db()
    assert (expense.state, expense.settled_to_freelancer_cents) == (ExpenseState.SETTLED, 9_000)
    assert client_balance(contract) == before + 3_000
    pending = LedgerAccount.objects.get(
        kind=AccountKind.FREELANCER_PENDING, owner=contract.freelancer
    )
    assert pending.balance_cents == 9_000  # no service fee on a reimbursement
    assert escrow_account(contract).balance_cents == 0
    page = _login(contract.client).get(f"/contracts/{contract.pk}/")
    assert b"Settled by a dispute" in page.content


def test_expense_disputes_from_the_room_and_the_api_and_at_the_end():
    contract = contract_fixed((10_000,))
    first, second = funded_expense(contract), funded_expense(contract, 5_000)
    room = _login(contract.freelancer).get(f"/contracts/{contract.pk}/")
    assert b'data-testid="expense-dispute-form"' in room.content
    opened = _login(contract.freelancer).post(
        f"/disputes/expenses/{first.pk}/open/", {"reason": "Unpaid"}
    )
    dispute = Dispute.objects.get(expense=first)
    assert opened["Location"] == f"/disputes/{dispute.pk}/"
    assert _login(contract.client).get(f"/disputes/expenses/{first.pk}/")["Location"] == (
        f"/disputes/{dispute.pk}/"
    )
    token = token_create(user=contract.client, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    again = api.post(
        f"/api/v1/expenses/{first.pk}/disputes", {"reason": "x"}, content_type="application/json"
    )
    assert again.status_code == 409
    # Ending now: the unfunded milestone is cancelled and the second expense disputed by the
    # client; the first stays in its dispute; both frozen past the end.
    ended = api.post(
        f"/api/v1/contracts/{contract.pk}/end-with-disputes",
        {"reason": "Stopped"},
        content_type="application/json",
    )
    assert ended.status_code == 201, ended.content
    assert [(d["milestone_id"], d["expense_id"]) for d in ended.json()] == [(None, second.pk)]
    contract.refresh_from_db()
    assert contract.state == ContractState.ENDED
    assert escrow_account(contract).balance_cents == 12_000 + 5_000
