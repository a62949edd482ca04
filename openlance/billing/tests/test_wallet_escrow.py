"""The wallet's escrow: the escrow accounts of the user's contracts on either side, found
through their funding transfers, each counted once, whatever else the ledger holds."""

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.billing.wallet import escrow_accounts_of, wallet_summary
from openlance.ledger.models import AccountKind
from openlance.ledger.services import account_for, transfer_post

pytestmark = pytest.mark.usefixtures("assert_ledger_sound")


def _fund(key, client, freelancer, contract, cents):
    """Deposit for `client`, then fund `cents` into the escrow of `contract`, as a milestone
    funding names its parties."""
    funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=client)
    clearing = account_for(kind=AccountKind.GATEWAY_CLEARING)
    transfer_post(
        key=f"{key}:deposit",
        kind="deposit",
        description="Deposit",
        legs=[(clearing, -cents - 100), (funding, cents + 100)],
        client=client,
    )
    escrow = account_for(kind=AccountKind.CONTRACT_ESCROW, reference=f"contract:{contract}")
    transfer_post(
        key=f"{key}:fund",
        kind="milestone_fund",
        description="Funded",
        legs=[
            (funding, -cents - 100),
            (escrow, cents),
            (account_for(kind=AccountKind.PLATFORM_FEE_REVENUE), 100),
        ],
        client=client,
        freelancer=freelancer,
    )
    return escrow


def test_escrow_of_both_sides_each_account_once():
    someone, buyer, seller = client_user(), client_user(), freelancer_user()
    # `someone` hires `seller` on contract 1, funded twice, and works for `buyer` on
    # contract 2: the same balance in both accounts, which still count twice.
    hired = _fund("m1", someone, seller, 1, 30_000)
    _fund("m2", someone, seller, 1, 20_000)
    working = _fund("m3", buyer, someone, 2, 50_000)
    _fund("m4", buyer, seller, 3, 70_000)  # not `someone`'s

    assert set(escrow_accounts_of(user=someone)) == {hired, working}
    assert wallet_summary(user=someone).escrow.cents == 100_000
    assert wallet_summary(user=seller).escrow.cents == 120_000
    assert wallet_summary(user=buyer).escrow.cents == 120_000
    assert wallet_summary(user=freelancer_user()).escrow.cents == 0


def test_the_wallet_reads_as_many_queries_however_long_the_history(
    django_assert_num_queries,
):
    buyer, seller = client_user(), freelancer_user()
    _fund("first", buyer, seller, 1, 10_000)
    # Three balances by owner, the accounts the user's fundings moved, the escrow of them.
    with django_assert_num_queries(5):
        wallet_summary(user=buyer)
    for n in range(2, 12):
        _fund(f"more:{n}", buyer, seller, n, 10_000)
    with django_assert_num_queries(5):
        assert wallet_summary(user=buyer).escrow.cents == 110_000
