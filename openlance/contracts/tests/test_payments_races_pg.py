"""A freelancer's refund and their "get paid now" race for one available balance (SPEC §7.3,
§8.5), 200 times. When the balance covers either but not both, exactly one takes the money
and the other is refused with InsufficientFunds; when the payment's pending earning covers
the refund too, the refund is never refused. Either way the balance never goes below zero
and the ledger stays sound. A card's money for a bonus or an expense is never spent by another
payment of the client's from the balance before it pays what it was charged for. PostgreSQL
only (SQLite has a single writer: no race to prove)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pytest
from django.db import connection

from openlance.billing.checks import payment_violations
from openlance.billing.gateway import idempotency_key_digest
from openlance.billing.models import CardCharge, CardChargeState, Payment, Payout, PendingEarning
from openlance.billing.payouts import earning_release, withdrawal_create
from openlance.billing.tests.payout_helpers import usable_method
from openlance.contracts.milestones.funding import milestone_fund
from openlance.contracts.milestones.release import milestone_approve
from openlance.contracts.milestones.submissions import milestone_submit
from openlance.contracts.models import Bonus, Contract, Expense, ExpenseState, Refund
from openlance.contracts.payments.bonuses import bonus_pay
from openlance.contracts.payments.expenses import expense_accept, expense_fund, expense_propose
from openlance.contracts.payments.refunds import refund_make
from openlance.contracts.tests.factories import contract_fixed
from openlance.core import clock
from openlance.core.errors import InsufficientFunds, InvalidTransition
from openlance.core.money import Money
from openlance.core.tests.files import pdf_upload
from openlance.core.tests.racers import Racers
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, transfer_post

TRIALS = 200
REFUND = 1_000  # gross; the freelancer gives back its net, the fee comes back from the platform
WITHDRAW = 600
BALANCE = 1_000  # covers the refund's net or the withdrawal, never both
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


def paid(gross: int, *, available: bool) -> tuple[Contract, Payment]:
    """A released milestone; its earning made available at once, or left pending (in its
    security period), where a refund of it may draw what the available balance lacks."""
    contract = contract_fixed((gross,))
    milestone = contract.milestones.get()
    milestone_fund(client=contract.client, milestone=milestone, payment_method="pm_card_visa")
    milestone_submit(freelancer=contract.freelancer, milestone=milestone, message="Done")
    milestone_approve(client=contract.client, milestone=milestone)
    payment = Payment.objects.get(milestone_release__contract=contract)
    if available:
        earning_release(earning=PendingEarning.objects.get(transfer=payment.transfer))
    return contract, payment


def late(trial: int, target: Callable[[], object]) -> Callable[[], object]:
    """`target` started 0 to 9.5 ms late, by trial: the refund does more work before it
    reaches the balance than the withdrawal, so started together the withdrawal nearly always
    wins and the other orders are never tried."""

    def run() -> object:
        time.sleep(trial % 20 * 0.0005)
        return target()

    return run


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refund_and_a_withdrawal_racing_for_one_balance_never_overdraw(race: Racers) -> None:
    with clock.frozen_at(NOW):
        contract, payment = paid(TRIALS * REFUND, available=True)
        freelancer = contract.freelancer
        usable_method(freelancer)
        wallet = account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=freelancer)
        clearing = account_for(kind=AccountKind.GATEWAY_CLEARING)
        refunds = withdrawals = 0
        for trial in range(TRIALS):
            wallet.refresh_from_db()
            top_up = BALANCE - wallet.balance_cents
            transfer_post(
                key=f"race:fund:{trial}",
                kind="test.fund",
                description="Balance for a race",
                legs=[(clearing, -top_up), (wallet, top_up)],
            )
            refunded, withdrawn = race(
                partial(
                    refund_make,
                    freelancer=freelancer,
                    contract=contract,
                    payment=payment,
                    amount=Money(REFUND),
                    reason="Part of the work was not needed.",
                    key=f"race:{trial}",
                ),
                late(
                    trial,
                    partial(
                        withdrawal_create,
                        user=freelancer,
                        amount=Money(WITHDRAW),
                        key=f"race:{trial}",
                    ),
                ),
            )
            wallet.refresh_from_db()
            if isinstance(refunded, Refund):
                assert isinstance(withdrawn, InsufficientFunds), (trial, repr(withdrawn))
                assert refunded.transfer is not None
                net_back = refunded.transfer.metadata["net_back_cents"]
                assert wallet.balance_cents == BALANCE - net_back, trial
                refunds += 1
            else:
                assert isinstance(refunded, InsufficientFunds), (trial, repr(refunded))
                assert isinstance(withdrawn, Payout), (trial, repr(withdrawn))
                assert wallet.balance_cents == BALANCE - WITHDRAW, trial
                withdrawals += 1

    assert refunds + withdrawals == TRIALS
    assert Refund.objects.filter(contract=contract).count() == refunds
    assert Payout.objects.filter(user=freelancer).count() == withdrawals
    payment.refresh_from_db()
    assert payment.refunded_cents == refunds * REFUND
    assert LedgerAccount.objects.filter(balance_cents__lt=0, may_go_negative=False).count() == 0
    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refund_its_pending_earning_covers_is_never_refused_for_a_racing_withdrawal(
    race: Racers,
) -> None:
    """The payment's earning is still pending, so the refund is covered whatever the
    withdrawal leaves: `refund_make` is refused only when "their available and this
    payment's pending money do not cover it". The withdrawal is refused only when the refund
    took the available money first."""
    with clock.frozen_at(NOW):
        contract, payment = paid(TRIALS * REFUND, available=False)
        freelancer = contract.freelancer
        usable_method(freelancer)
        wallet = account_for(kind=AccountKind.FREELANCER_AVAILABLE, owner=freelancer)
        clearing = account_for(kind=AccountKind.GATEWAY_CLEARING)
        refused_refunds: list[tuple[int, str]] = []
        for trial in range(TRIALS):
            wallet.refresh_from_db()
            top_up = BALANCE - wallet.balance_cents
            transfer_post(
                key=f"race:fund:{trial}",
                kind="test.fund",
                description="Balance for a race",
                legs=[(clearing, -top_up), (wallet, top_up)],
            )
            refunded, withdrawn = race(
                partial(
                    refund_make,
                    freelancer=freelancer,
                    contract=contract,
                    payment=payment,
                    amount=Money(REFUND),
                    reason="Part of the work was not needed.",
                    key=f"race:{trial}",
                ),
                late(
                    trial,
                    partial(
                        withdrawal_create,
                        user=freelancer,
                        amount=Money(WITHDRAW),
                        key=f"race:{trial}",
                    ),
                ),
            )
            assert isinstance(refunded, Refund | InsufficientFunds), (trial, repr(refunded))
            assert isinstance(withdrawn, Payout | InsufficientFunds), (trial, repr(withdrawn))
            wallet.refresh_from_db()
            assert wallet.balance_cents >= 0, trial
            if isinstance(refunded, InsufficientFunds):
                refused_refunds.append((trial, str(refunded)))
                continue
            assert refunded.transfer is not None
            net_back = refunded.transfer.metadata["net_back_cents"]
            if isinstance(withdrawn, InsufficientFunds):
                # The refund went first and, available money first, left too little.
                assert wallet.balance_cents == BALANCE - net_back, trial
            else:
                # The withdrawal went first: the refund took what it left, then pending.
                assert wallet.balance_cents == 0, trial

    assert LedgerAccount.objects.filter(balance_cents__lt=0, may_go_negative=False).count() == 0
    assert ledger_violations() == []
    assert payment_violations() == []
    assert refused_refunds == [], (
        f"{len(refused_refunds)} of {TRIALS} covered refunds refused, first: {refused_refunds[0]}"
    )


CARD_TRIALS = 20
EXTRA = 10_000  # a bonus or an expense; its total (with the fee) is what the card pays


def once_booked(subject: str, pay: Callable[[], object]) -> Callable[[], object]:
    """`pay` the moment the card charge for `subject` is booked (the balance it finds holds
    the card's money only if the booking committed before the payment it was charged for)."""

    def run() -> object:
        deadline = time.monotonic() + 10
        booked = CardCharge.objects.filter(subject=subject, state=CardChargeState.BOOKED)
        while not booked.exists() and time.monotonic() < deadline:
            time.sleep(0.0005)
        return pay()

    return run


def funding_balance(contract: Contract) -> int:
    return account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client).balance_cents


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_card_payment_of_a_bonus_is_never_spent_on_another_bonus_from_the_balance(
    race: Racers,
) -> None:
    """The client pays a bonus on one contract by card while paying one on another contract
    from an empty balance, the moment the card's charge is booked: the card's money must
    have paid its bonus by then, so the card bonus is always paid, the other refused, and
    the balance ends empty."""
    for trial in range(CARD_TRIALS):
        by_card = contract_fixed()
        client = by_card.client
        other = contract_fixed(client=client)
        key = f"race:{trial}"
        card, balance = race(
            partial(
                bonus_pay,
                client=client,
                contract=by_card,
                amount=Money(EXTRA),
                payment_method="pm_card_visa",
                key=key,
            ),
            once_booked(
                f"bonus:{by_card.pk}:{idempotency_key_digest(key)}",
                partial(bonus_pay, client=client, contract=other, amount=Money(EXTRA), key=key),
            ),
        )
        assert isinstance(card, Bonus), (trial, repr(card))
        assert isinstance(balance, InsufficientFunds), (trial, repr(balance))
        assert funding_balance(by_card) == 0, trial
        assert not Bonus.objects.filter(contract=other).exists()
    assert ledger_violations() == []
    assert payment_violations() == []


def accepted_expense(contract: Contract) -> Expense:
    expense = expense_propose(
        freelancer=contract.freelancer,
        contract=contract,
        description="Stock photos for the landing page",
        amount=Money(EXTRA),
        receipt=pdf_upload("receipt.pdf"),
    )
    return expense_accept(client=contract.client, expense=expense)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_card_payment_of_an_expense_is_never_spent_on_another_from_the_balance(
    race: Racers,
) -> None:
    """As for bonuses: an expense funded by card while the client funds another expense, on
    another contract, from an empty balance the moment the card's charge is booked. The card
    always funds its expense, the other is refused, the balance ends empty."""
    for trial in range(CARD_TRIALS):
        by_card = accepted_expense(contract_fixed())
        client = by_card.contract.client
        other = accepted_expense(contract_fixed(client=client))
        card, balance = race(
            partial(expense_fund, client=client, expense=by_card, payment_method="pm_card_visa"),
            once_booked(
                f"expense:{by_card.pk}", partial(expense_fund, client=client, expense=other)
            ),
        )
        assert isinstance(card, Expense), (trial, repr(card))
        assert card.state == ExpenseState.FUNDED
        assert isinstance(balance, InsufficientFunds), (trial, repr(balance))
        assert funding_balance(by_card.contract) == 0, trial
        other.refresh_from_db()
        assert other.state == ExpenseState.ACCEPTED
    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_paying_one_expense_with_two_cards_charge_one_card(race: Racers) -> None:
    """The client funds one expense from two tabs at once, with two cards: the funding's
    claim lets one charge and refuses the other before its card is touched (or the other
    finds the expense funded), so one card is charged, once, and nothing is left on the
    balance."""
    for trial in range(CARD_TRIALS):
        expense = accepted_expense(contract_fixed())
        client = expense.contract.client
        outcomes = race(
            *(
                partial(expense_fund, client=client, expense=expense, payment_method=card)
                for card in ("pm_card_visa", "pm_card_mastercard")
            )
        )
        funded = [o for o in outcomes if isinstance(o, Expense)]
        assert funded, (trial, outcomes)
        assert all(
            isinstance(o, Expense) or (isinstance(o, InvalidTransition) and "under way" in str(o))
            for o in outcomes
        ), (trial, outcomes)
        expense.refresh_from_db()
        assert expense.state == ExpenseState.FUNDED, trial
        charges = CardCharge.objects.filter(subject=f"expense:{expense.pk}")
        assert [c.state for c in charges] == [CardChargeState.BOOKED], (trial, outcomes)
        assert funding_balance(expense.contract) == 0, trial
    assert ledger_violations() == []
    assert payment_violations() == []
