"""Paying for Connects (SPEC §5): bundles bought by card and the Plus plan's monthly price.

It lives in billing because the gateway does; the Connects ledger itself is written only
through `openlance.connects.services`. All the money goes gateway clearing → platform
Connects revenue, one ledger transfer per gateway charge (key `charge:<reference>`), and the
Connects follow in the same database transaction, so money and Connects never part ways.

Plan semantics:
- Subscribing charges the Plus price at once for the first month and grants the Plus
  allotment; the day of subscribing becomes the monthly date (the Basic cycle ends there).
- Cancelling keeps Plus until the monthly date (the month is paid for); that date then grants
  the Basic allotment instead of charging. Subscribing again before then just takes the
  cancellation back, without a charge.
- On each monthly date Plus is charged for the month starting then; a declined card (or a
  gateway refusal) moves the account to Basic (with a `connects.plus_lapsed` notice) and
  grants the Basic allotment. A deactivated user's or a former freelancer's Plus moves to
  Basic on that date without a charge.
- The monthly date keeps the day the plan started on; a shorter month moves it to its last
  day for that month only.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from openlance.accounts.models import User
from openlance.billing.claims import charge_claim
from openlance.billing.gateway import (
    ChargeResult,
    PaymentGatewayUnavailable,
    idempotency_key_digest,
    payment_gateway,
)
from openlance.billing.services import require_freelancer
from openlance.connects.models import ConnectsAccount, ConnectsMove, LotSource, Plan
from openlance.connects.selectors import connects_accounts_due
from openlance.connects.services import (
    connects_account_locked,
    connects_account_open,
    connects_grant,
    connects_month_close,
    connects_plus_resume,
    connects_plus_start,
)
from openlance.core import clock
from openlance.core.errors import (
    DomainError,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    PaymentDeclined,
)
from openlance.core.money import Money
from openlance.core.policies import connects_policy_at
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import platform_account, transfer_post

logger = logging.getLogger(__name__)

# A scheduler that was down for longer than this catches up at most this many months per
# account in one run; the next run continues.
MAX_MONTHS_PER_RUN = 12


def _require_card(payment_method: str) -> None:
    if not payment_method.strip():
        raise InvalidInput(
            "Choose a payment method.", field_errors={"payment_method": ["Required."]}
        )


def _declined(charge: ChargeResult) -> PaymentDeclined:
    return PaymentDeclined(
        f"The card was declined ({charge.decline_reason}). Nothing was charged.",
        field_errors={"payment_method": ["This card was declined; try another one."]},
    )


def _book_revenue(charge: ChargeResult, *, user: User, kind: str, description: str) -> Transfer:
    return transfer_post(
        key=f"charge:{charge.reference}",
        kind=kind,
        description=description,
        legs=[
            (
                platform_account(AccountKind.GATEWAY_CLEARING, spread=user.pk),
                -charge.amount.cents,
            ),
            (
                platform_account(AccountKind.PLATFORM_CONNECTS_REVENUE, spread=user.pk),
                charge.amount.cents,
            ),
        ],
        metadata={"charge": charge.reference, "gateway": payment_gateway().name},
        freelancer=user,
    )


def bundle_price(*, bundle: int, when: datetime) -> Money:
    """What a bundle costs under the policy in force at `when`; a size the policy does not
    offer is a 422."""
    policy = connects_policy_at(when)
    if isinstance(bundle, bool) or bundle not in policy.bundles:
        offered = ", ".join(str(size) for size in policy.bundles)
        raise InvalidInput(
            f"Connects come in bundles of {offered}.",
            field_errors={"bundle": [f"Choose one of {offered}."]},
        )
    return Money(bundle * policy.connect_price_cents)


def connects_bundle_buy(*, user: User, bundle: int, payment_method: str, key: str) -> ConnectsMove:
    """Buy a bundle of Connects by card. The gateway call, the revenue booking and the
    purchase lot share `key`: a retry after a crash between them finds the first charge and
    books it once; a declined card books nothing and grants nothing."""
    require_freelancer(user)
    _require_card(payment_method)
    price = bundle_price(bundle=bundle, when=clock.now())
    connects_account_open(user=user)
    base = f"connects-bundle:{user.pk}:{idempotency_key_digest(key)}"
    charge = payment_gateway().charge(
        amount=price,
        payment_method=payment_method,
        idempotency_key=base,
        description=f"{bundle} Connects for user {user.pk}",
    )
    if not charge.succeeded:
        raise _declined(charge)
    if charge.amount != price:
        raise IdempotencyConflict("This idempotency key was already used for another bundle.")
    with transaction.atomic():
        _book_revenue(charge, user=user, kind="connects_purchase", description=f"{bundle} Connects")
        return connects_grant(
            user=user,
            units=bundle,
            source=LotSource.PURCHASE,
            key=base,
            description=f"Bought {bundle} Connects for {price}",
            reference=f"charge:{charge.reference}",
        )


def _answered_without_charge(account: ConnectsAccount, *, digest: str, payment_method: str) -> bool:
    """Whether a subscribe request is answered by the account's Plus as it stands: the same
    request again, or a cancellation taken back. Another Plus subscription is a 409."""
    if account.plan != Plan.PLUS:
        return False
    if account.plus_subscription_key == digest:
        return True
    if account.plus_cancelled_at is not None:
        connects_plus_resume(user=account.user, payment_method=payment_method)
        return True
    raise InvalidTransition("You are on Plus already.")


def connects_plus_subscribe(*, user: User, payment_method: str, key: str) -> ConnectsAccount:
    """Move to Plus: charge the first month now and grant its allotment. The request first
    claims the subscription, then looks again at the plan: only the claim's holder, and only
    while the account is not on Plus, charges the card (outside any transaction: a gateway
    call must not hold the account's lock), then books the charge and starts Plus under the
    account's lock. Another request at the same time (another tab) is a 409 before its card
    is charged; one after it finds Plus started. The same `key` again changes nothing; a
    declined card leaves the account on Basic."""
    require_freelancer(user)
    _require_card(payment_method)
    account = connects_account_open(user=user)
    digest = idempotency_key_digest(key)
    if _answered_without_charge(account, digest=digest, payment_method=payment_method):
        return ConnectsAccount.objects.get(pk=account.pk)
    price = Money(connects_policy_at(clock.now()).plus_plan.price_cents)
    with charge_claim(
        subject=f"connects-plus:{user.pk}",
        holder=digest,
        busy="A Plus subscription is being set up for you already; look again in a moment.",
    ):
        # The request that held the claim before this one may have started Plus meanwhile.
        account = ConnectsAccount.objects.get(pk=account.pk)
        if _answered_without_charge(account, digest=digest, payment_method=payment_method):
            return ConnectsAccount.objects.get(pk=account.pk)
        charge: ChargeResult | None = None
        if price.cents > 0:
            charge = payment_gateway().charge(
                amount=price,
                payment_method=payment_method,
                idempotency_key=f"connects-plus:{user.pk}:{digest}",
                description=f"Openlance Plus, first month, user {user.pk}",
            )
            if not charge.succeeded:
                raise _declined(charge)
            if charge.amount != price:
                raise IdempotencyConflict(
                    "This idempotency key was already used for another charge."
                )
        with transaction.atomic():
            account = connects_account_locked(user=user)
            if charge is not None:
                _book_revenue(
                    charge, user=user, kind="connects_plus", description="Plus plan, first month"
                )
            if account.plan != Plan.PLUS:
                started = connects_plus_start(
                    user=user,
                    payment_method=payment_method,
                    subscription_key=digest,
                    charge_reference=charge.reference if charge is not None else "",
                )
                return ConnectsAccount.objects.get(pk=started.pk)
    # Only when this request stalled past the claim's timeout and another one started Plus
    # meanwhile: the money has left the card and is booked, but the gateway port cannot
    # refund.
    if charge is not None:
        logger.error(
            "Plus for user %s was charged twice (charge %s); refund it by hand",
            user.pk,
            charge.reference,
        )
    raise InvalidTransition("You are on Plus already.")


def _renews(account: ConnectsAccount, user: User) -> bool:
    # Only an active freelancer's Plus is charged: a deactivated account or one that gave
    # up the freelancer role cannot use what it would pay for.
    return account.plus_renews and user.is_active and user.is_freelancer


def _close_month(account_id: int, *, now: datetime) -> str | None:
    """Charge (for Plus) and grant the period due at the account's monthly date; None when
    nothing is due. A refusal from the gateway lapses Plus like a declined card does;
    PaymentGatewayUnavailable (the outcome unknown) propagates, the period stays open and
    the next run asks again with the same key."""
    with transaction.atomic():
        # Read under the lock, so a cancellation that committed since the run started is
        # seen. The lock is released before the gateway call; a cancellation landing in
        # that short gap takes effect from the next monthly date.
        account = ConnectsAccount.objects.select_for_update().get(pk=account_id)
        user = User.objects.get(pk=account.user_id)
        due_at = account.next_grant_at
        renews = _renews(account, user)
    if due_at > now:
        return None
    if not renews:
        connects_month_close(user=user, due_at=due_at, plan=Plan.BASIC, now=now)
        return "basic"
    price = Money(connects_policy_at(due_at).plus_plan.price_cents)
    if price.cents == 0:
        connects_month_close(user=user, due_at=due_at, plan=Plan.PLUS, now=now)
        return "plus"
    try:
        charge = payment_gateway().charge(
            amount=price,
            payment_method=account.plus_payment_method,
            idempotency_key=f"connects-plus:{account.pk}:{due_at:%Y%m%dT%H%M%S}",
            description=f"Openlance Plus for the month from {due_at:%Y-%m-%d}, user {user.pk}",
        )
    except PaymentGatewayUnavailable:
        raise
    except DomainError as refusal:
        lapse_reason = refusal.code
    else:
        if charge.succeeded:
            with transaction.atomic():
                _book_revenue(
                    charge,
                    user=user,
                    kind="connects_plus",
                    description=f"Plus plan from {due_at:%Y-%m-%d}",
                )
                connects_month_close(user=user, due_at=due_at, plan=Plan.PLUS, now=now)
            return "plus"
        lapse_reason = charge.decline_reason or "declined"
    connects_month_close(
        user=user, due_at=due_at, plan=Plan.BASIC, now=now, lapse_reason=lapse_reason
    )
    return "lapsed"


def connects_plans_run_due(*, now: datetime) -> dict[str, int]:
    """The monthly Connects rule (SPEC §17): every account whose monthly date has come is
    charged (Plus) and granted its plan's allotment, one month at a time. Safe to run twice:
    charges carry a key per account and period, and a closed period is never closed again.
    One account that cannot be closed now is logged and left for the next run; the others
    go on."""
    counts = {"basic": 0, "plus": 0, "lapsed": 0, "retry": 0}
    for account_id in list(connects_accounts_due(now=now).values_list("pk", flat=True)):
        for _ in range(MAX_MONTHS_PER_RUN):
            try:
                outcome = _close_month(account_id, now=now)
            except PaymentGatewayUnavailable:
                logger.warning("Connects account %s: gateway unavailable, will retry", account_id)
                counts["retry"] += 1
                break
            except Exception:
                logger.exception("Connects account %s: month could not be closed", account_id)
                counts["retry"] += 1
                break
            if outcome is None:
                break
            counts[outcome] += 1
    return counts
