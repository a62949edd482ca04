"""Expenses (SPEC §7.3): the freelancer proposes a cost they fronted, with its receipt
(checked by content); it becomes a term of the contract only when the client accepts it. The
client funds it into the contract's escrow with the marketplace fee on top, as a milestone,
and releases it to the freelancer's pending balance without a service fee (a reimbursement
is not a payment for work: it never counts in the relationship's billings). Either side may
dispute a funded expense (the disputes app): its escrow is frozen (`disputed`) until the
decision splits it (`expense_dispute_settle`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.cards import BALANCE
from openlance.billing.claims import charge_claim
from openlance.billing.earnings import earning_hold
from openlance.billing.gateway import idempotency_key_digest
from openlance.billing.models import EarningKind
from openlance.billing.services import spend_on_booking
from openlance.contracts.common import (
    ESCROW_REFUND,
    escrow_account,
    escrow_funding_accounts,
    lock_contract,
    require_message_of,
    require_party,
)
from openlance.contracts.models import (
    EXPENSE_TRANSITIONS,
    MAXIMUM_MILESTONE_CENTS,
    MINIMUM_BONUS_CENTS,
    Contract,
    ContractState,
    Expense,
    ExpenseState,
)
from openlance.contracts.payments.common import (
    charge_card_to_balance,
    client_fee_quote,
    require_balance,
)
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.core.uploads import MEGABYTE, checked_attachment
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import (
    account_for,
    accounts_lock,
    platform_account,
    transfer_post,
)
from openlance.messaging.models import Message

EXPENSE_FUNDING = "expense_funding"
EXPENSE_RELEASE = "expense_release"
MAX_RECEIPT_BYTES = 10 * MEGABYTE
MAX_DESCRIPTION = 500


def _require_running(contract: Contract) -> None:
    if contract.state == ContractState.ENDED:
        raise Conflict("The contract has ended: settle its expenses before it ends.")


def _require_move(expense: Expense, target: str) -> None:
    if target not in EXPENSE_TRANSITIONS[expense.state]:
        raise InvalidTransition(
            f"An expense that is {expense.get_state_display().lower()} cannot become "
            f"{ExpenseState(target).label.lower()}."
        )


def _move(expense: Expense, target: str, **changes: object) -> Expense:
    _require_move(expense, target)
    expense.state = target
    for name, value in changes.items():
        setattr(expense, name, value)
    expense.save()
    return expense


def _locked(expense: Expense) -> tuple[Contract, Expense]:
    contract = lock_contract(expense.contract)
    return contract, Expense.objects.select_for_update().get(pk=expense.pk)


def expense_propose(
    *,
    freelancer: User,
    contract: Contract,
    description: str,
    amount: Money,
    receipt: UploadedFile | None,
    source_message: Message | None = None,
) -> Expense:
    """The freelancer proposes an expense with its receipt (a PDF or an image), perhaps from
    a chat message where it was agreed."""
    require_party(contract, freelancer, "freelancer")
    _require_running(contract)
    require_message_of(contract, source_message)
    errors: dict[str, list[str]] = {}
    description = " ".join((description or "").split())
    if not description:
        errors["description"] = ["Say what it paid for."]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"At most {MAX_DESCRIPTION} characters."]
    if amount.currency != "USD":
        errors["amount"] = ["Use USD."]
    elif not MINIMUM_BONUS_CENTS <= amount.cents <= MAXIMUM_MILESTONE_CENTS:
        errors["amount"] = [
            f"Between {Money(MINIMUM_BONUS_CENTS)} and {Money(MAXIMUM_MILESTONE_CENTS)}."
        ]
    if receipt is None:
        errors["receipt"] = ["Attach the receipt."]
    if errors:
        raise InvalidInput("Check the expense.", field_errors=errors)
    assert receipt is not None
    document = checked_attachment(receipt, field="receipt", max_bytes=MAX_RECEIPT_BYTES)
    with transaction.atomic():
        locked = lock_contract(contract)
        _require_running(locked)
        expense = Expense(
            contract=locked,
            description=description,
            amount_cents=amount.cents,
            receipt_name=document.name,
            receipt_content_type=document.content_type,
            receipt_size_bytes=document.size,
            created_at=clock.now(),
            source_message=source_message,
        )
        expense.receipt.save(document.name, document.content, save=False)
        expense.save()
        event_emit(
            kind="expense.proposed",
            payload={"expense_id": expense.pk, "contract_id": locked.pk},
        )
    return expense


def _answer(client: User, expense: Expense, target: str) -> Expense:
    require_party(expense.contract, client, "client")
    with transaction.atomic():
        contract, locked = _locked(expense)
        _require_running(contract)
        answered = _move(locked, target, answered_at=clock.now())
        event_emit(
            kind="expense.answered",
            payload={"expense_id": answered.pk, "contract_id": contract.pk},
        )
    return answered


def expense_accept(*, client: User, expense: Expense) -> Expense:
    """The expense becomes a term of the contract, to be funded and released."""
    return _answer(client, expense, ExpenseState.ACCEPTED)


def expense_decline(*, client: User, expense: Expense) -> Expense:
    return _answer(client, expense, ExpenseState.DECLINED)


def expense_withdraw(*, freelancer: User, expense: Expense) -> Expense:
    """The freelancer gives the expense up, proposed or accepted; funded, its escrow goes
    back to the client (so an expense never keeps a contract from ending)."""
    require_party(expense.contract, freelancer, "freelancer")
    with transaction.atomic():
        contract, locked = _locked(expense)
        _require_move(locked, ExpenseState.WITHDRAWN)
        if locked.state == ExpenseState.FUNDED:
            transfer_post(
                key=f"expense:{locked.pk}:refund",
                kind=ESCROW_REFUND,
                description=f"Escrow of withdrawn expense “{locked.description}” refunded",
                legs=[
                    (escrow_account(contract), -locked.amount_cents),
                    (
                        account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client),
                        locked.amount_cents,
                    ),
                ],
                metadata={"contract_id": contract.pk, "expense_id": locked.pk},
                client=contract.client,
                freelancer=contract.freelancer,
            )
        withdrawn = _move(locked, ExpenseState.WITHDRAWN, answered_at=clock.now())
        event_emit(
            kind="expense.withdrawn",
            payload={"expense_id": withdrawn.pk, "contract_id": contract.pk},
        )
    return withdrawn


def expense_fund(*, client: User, expense: Expense, payment_method: str = BALANCE) -> Expense:
    """The client funds an accepted expense into escrow, with the marketplace fee, from
    their balance or by card (charged into the balance, and the expense funded from there in
    the booking's own transaction, so no other payment of the client's spends the card's
    money first). A card payment claims the expense's funding first, as a milestone's does:
    a second one at the same time, with another card, is refused before its card is
    charged. Funding a funded expense changes nothing."""
    contract = expense.contract
    require_party(contract, client, "client")
    expense = Expense.objects.get(pk=expense.pk)  # the state as it stands, not as passed in
    if expense.state == ExpenseState.FUNDED:
        return expense
    fee, total = client_fee_quote(contract=contract, amount=Money(expense.amount_cents))
    payment_method = (payment_method or "").strip()
    if not payment_method or len(payment_method) > 100:
        raise InvalidInput(
            "Choose how to pay.",
            field_errors={"payment_method": ['"balance" or a card token.']},
        )
    fund = partial(_fund_locked, client=client, fee=fee, total=total)
    if payment_method != BALANCE and expense.state == ExpenseState.ACCEPTED:
        subject = f"expense:{expense.pk}"
        # Another tab paying with another card is refused before its card is touched.
        with charge_claim(
            subject=f"{subject}:fund",
            holder=idempotency_key_digest(payment_method),
            busy="A payment for this expense is under way already; look again in a moment.",
        ):
            charge_card_to_balance(
                client=client,
                contract=contract,
                subject=subject,
                card=payment_method,
                total=total,
                what=f"expense {expense.pk}",
                around_booking=partial(
                    spend_on_booking,
                    partial(_locked_for_card, expense=expense, fund=fund),
                    what=f"Expense {expense.pk}",
                ),
                paid=Expense.objects.filter(pk=expense.pk, funding__isnull=False).exists,
            )
    # Funded by the card's booking already, this finds it so; else it funds, or says why not.
    with transaction.atomic():
        locked_contract, locked = _locked(expense)
        return fund(contract=locked_contract, locked=locked)


def _locked_for_card(
    *, expense: Expense, fund: Callable[..., Expense]
) -> tuple[list[LedgerAccount], Callable[[], Expense]]:
    """For `spend_on_booking`: the contract and the expense locked (`_locked`, every expense
    write's order); the accounts the funding pays into; the funding."""
    contract, locked = _locked(expense)
    return escrow_funding_accounts(contract), partial(fund, contract=contract, locked=locked)


def _fund_locked(
    *, client: User, contract: Contract, locked: Expense, fee: int, total: int
) -> Expense:
    """Fund the locked expense of the locked contract from the client's balance."""
    _require_running(contract)
    if locked.state == ExpenseState.FUNDED:
        return locked
    _require_move(locked, ExpenseState.FUNDED)
    funding_account = account_for(kind=AccountKind.CLIENT_FUNDING, owner=client)
    require_balance(funding_account, total, "the expense")
    legs = [(funding_account, -total), (escrow_account(contract), locked.amount_cents)]
    if fee:
        legs.append((platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk), fee))
    transfer = transfer_post(
        key=f"expense:{locked.pk}:fund",
        kind=EXPENSE_FUNDING,
        description=f"Expense “{locked.description}” funded on contract {contract.pk}",
        legs=legs,
        metadata={
            "contract_id": contract.pk,
            "expense_id": locked.pk,
            "amount_cents": locked.amount_cents,
            "marketplace_fee_cents": fee,
        },
        client=contract.client,
        freelancer=contract.freelancer,
    )
    funded = _move(locked, ExpenseState.FUNDED, funding=transfer, marketplace_fee_cents=fee)
    event_emit(
        kind="expense.funded",
        payload={"expense_id": funded.pk, "contract_id": contract.pk},
    )
    return funded


def expense_release(*, client: User, expense: Expense) -> Expense:
    """The client reimburses a funded expense: the whole amount goes from escrow to the
    freelancer's pending balance, without a service fee, for the security period."""
    contract = expense.contract
    require_party(contract, client, "client")
    with transaction.atomic():
        locked_contract, locked = _locked(expense)
        _require_move(locked, ExpenseState.RELEASED)
        freelancer = locked_contract.freelancer
        transfer = transfer_post(
            key=f"expense:{locked.pk}:release",
            kind=EXPENSE_RELEASE,
            description=f"Expense “{locked.description}” reimbursed on contract "
            f"{locked_contract.pk}",
            legs=[
                (escrow_account(locked_contract), -locked.amount_cents),
                (
                    account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer),
                    locked.amount_cents,
                ),
            ],
            metadata={"contract_id": locked_contract.pk, "expense_id": locked.pk},
            client=locked_contract.client,
            freelancer=freelancer,
        )
        earning_hold(
            freelancer=freelancer,
            kind=EarningKind.EXPENSE,
            amount=Money(locked.amount_cents),
            transfer=transfer,
        )
        released = _move(locked, ExpenseState.RELEASED, release=transfer)
        event_emit(
            kind="expense.released",
            payload={"expense_id": released.pk, "contract_id": locked_contract.pk},
        )
    return released


def expense_dispute_freeze(*, user: User, expense: Expense) -> Expense:
    """Freeze a funded expense's escrow for a dispute (inside the caller's transaction): no
    release or withdrawal moves it until the decision."""
    contract = expense.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such expense.")
    contract, locked = _locked(expense)
    if locked.state != ExpenseState.FUNDED:
        raise Conflict(
            "Only a funded expense can be disputed: its money is in escrow. This one is "
            f"{locked.get_state_display().lower()}."
        )
    return _move(locked, ExpenseState.DISPUTED)


def expense_dispute_settle(expense: Expense, *, freelancer_cents: int) -> Expense:
    """Split a disputed expense's escrow, once: `freelancer_cents` reimbursed (no service
    fee, pending for the security period, as a release), the rest back to the client."""
    with transaction.atomic():
        contract, locked = _locked(expense)
        if locked.state != ExpenseState.DISPUTED:
            raise Conflict("This expense is not in dispute.")
        if not 0 <= freelancer_cents <= locked.amount_cents:
            raise InvalidInput(
                f"The freelancer's share is between $0.00 and {Money(locked.amount_cents)}."
            )
        escrow = escrow_account(contract)
        pending = account_for(kind=AccountKind.FREELANCER_PENDING, owner=contract.freelancer)
        client_funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client)
        # Two transfers: every account first, in one order (no cycle with another payment).
        accounts_lock([escrow, pending, client_funding])
        release = None
        if freelancer_cents:
            release = transfer_post(
                key=f"expense:{locked.pk}:dispute:release",
                kind=EXPENSE_RELEASE,
                description=f"Expense “{locked.description}” reimbursed by a dispute's decision",
                legs=[(escrow, -freelancer_cents), (pending, freelancer_cents)],
                metadata={"contract_id": contract.pk, "expense_id": locked.pk},
                client=contract.client,
                freelancer=contract.freelancer,
            )
            earning_hold(
                freelancer=contract.freelancer,
                kind=EarningKind.EXPENSE,
                amount=Money(freelancer_cents),
                transfer=release,
            )
        back = locked.amount_cents - freelancer_cents
        if back:
            transfer_post(
                key=f"expense:{locked.pk}:dispute:refund",
                kind=ESCROW_REFUND,
                description=f"Escrow of disputed expense “{locked.description}” refunded",
                legs=[(escrow, -back), (client_funding, back)],
                metadata={"contract_id": contract.pk, "expense_id": locked.pk},
                client=contract.client,
                freelancer=contract.freelancer,
            )
        return _move(
            locked,
            ExpenseState.SETTLED,
            release=release,
            settled_to_freelancer_cents=freelancer_cents,
        )
