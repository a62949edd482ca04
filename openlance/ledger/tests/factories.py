from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import account_for, transfer_post


def escrow(n: int = 1) -> LedgerAccount:
    return account_for(kind=AccountKind.CONTRACT_ESCROW, reference=f"contract:{n}")


def clearing() -> LedgerAccount:
    return account_for(kind=AccountKind.GATEWAY_CLEARING)


def funded_escrow(cents: int, n: int = 1) -> LedgerAccount:
    """An escrow account holding `cents`, paid in from outside through the gateway."""
    account = escrow(n)
    transfer_post(
        key=f"test:fund:{n}:{cents}",
        kind="test.fund",
        description="Funding for a test",
        legs=[(clearing(), -cents), (account, cents)],
    )
    account.refresh_from_db()
    return account
