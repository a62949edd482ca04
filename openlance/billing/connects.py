"""Paying for Connects (SPEC §5): bundles bought by card and the Plus plan's monthly price.

It lives in billing because the gateway does; the Connects ledger itself is written only
through `openlance.connects.services`. All the money goes gateway clearing → platform
Connects revenue, one ledger transfer per gateway charge (key `charge:<reference>`), and the
Connects follow in the same database transaction, so money and Connects never part ways.
Every charge goes through `services.card_charge` (recorded before the gateway is called);
the bookers below are what its settling calls for these purposes, so a charge whose request
died is booked, and its Connects granted or its Plus started, exactly once, later.

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
from openlance.billing.cards import card_reference_check, card_removed
from openlance.billing.claims import charge_claim
from openlance.billing.gateway import (
    ChargeResult,
    PaymentGatewayUnavailable,
    idempotency_key_digest,
    payment_gateway,
)
from openlance.billing.models import CardCharge, CardChargePurpose, CardChargeState
from openlance.billing.services import (
    CardChargeConflict,
    card_charge,
    card_charges_settle,
    card_declined,
    require_freelancer,
)
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
from openlance.core.errors import DomainError, IdempotencyConflict, InvalidInput, InvalidTransition
from openlance.core.money import Money
from openlance.core.policies import connects_policy_at
from openlance.ledger.models import AccountKind, Transfer
from openlance.ledger.services import platform_account, transfer_post

logger = logging.getLogger(__name__)

TRY_ANOTHER_CARD = {"payment_method": ["This card was declined; try another one."]}

# A scheduler that was down for longer than this catches up at most this many months per
# account in one run; the next run continues.
MAX_MONTHS_PER_RUN = 12


def _require_card(payment_method: str) -> None:
    if not payment_method.strip():
        raise InvalidInput(
            "Choose a payment method.", field_errors={"payment_method": ["Required."]}
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
    """Buy a bundle of Connects by card. The charge is recorded under `key` before the
    gateway is called, and the gateway call, the revenue booking and the purchase lot share
    the key: a retry finds the first charge and books it once, a charge whose request died
    is booked and granted by the reconcile rule; a declined card books nothing and grants
    nothing."""
    require_freelancer(user)
    _require_card(payment_method)
    price = bundle_price(bundle=bundle, when=clock.now())
    connects_account_open(user=user)
    charge = card_charge(
        user=user,
        amount=price,
        payment_method=payment_method,
        key=f"connects-bundle:{user.pk}:{idempotency_key_digest(key)}",
        subject=f"connects-bundle:{user.pk}",
        purpose=CardChargePurpose.CONNECTS_BUNDLE,
        description=f"{bundle} Connects for user {user.pk}",
        ledger_description=f"{bundle} Connects",
        connects_units=bundle,
    )
    if charge.state == CardChargeState.DECLINED:
        raise card_declined(charge, field_errors=TRY_ANOTHER_CARD)
    return ConnectsMove.objects.get(key=charge.key)


def connects_bundle_charge_book(*, charge: CardCharge, result: ChargeResult) -> Transfer:
    """Book a bundle's charge as Connects revenue and grant the bundle as a purchase lot (key
    the charge's), in the caller's transaction. The Connects account is locked first, as
    the Plus bookers do, so bookings for one user never wait on each other in a cycle."""
    assert charge.connects_units is not None  # card_charge_units_only_for_bundles
    connects_account_locked(user=charge.user)
    transfer = _book_revenue(
        result, user=charge.user, kind="connects_purchase", description=charge.ledger_description
    )
    connects_grant(
        user=charge.user,
        units=charge.connects_units,
        source=LotSource.PURCHASE,
        key=charge.key,
        description=f"Bought {charge.connects_units} Connects for {result.amount}",
        reference=f"charge:{result.reference}",
    )
    return transfer


def _answered_without_charge(account: ConnectsAccount, *, digest: str, payment_method: str) -> bool:
    """Whether a subscribe request is answered by the account's Plus as it stands: the same
    request again, or a cancellation taken back. Another Plus subscription is a 409."""
    if account.plan != Plan.PLUS:
        return False
    if account.plus_subscription_key == digest:
        return True
    if account.plus_cancelled_at is not None:
        card_reference_check(user=account.user, payment_method=payment_method)
        connects_plus_resume(user=account.user, payment_method=payment_method)
        return True
    raise InvalidTransition("You are on Plus already.")


def connects_plus_subscribe(*, user: User, payment_method: str, key: str) -> ConnectsAccount:
    """Move to Plus: charge the first month now and grant its allotment. The request first
    claims the subscription, settles any earlier subscription charge whose request died
    (Plus then starts from that charge, and this request charges nothing), then looks again
    at the plan: only the claim's holder, and only while the account is not on Plus, charges
    the card (recorded first, outside any transaction: a gateway call must not hold the
    account's lock); the booking starts Plus under the account's lock. Another request at
    the same time (another tab) is a 409 before its card is charged; one after it finds Plus
    started. The same `key` again changes nothing; a declined card leaves the account on
    Basic."""
    require_freelancer(user)
    _require_card(payment_method)
    account = connects_account_open(user=user)
    digest = idempotency_key_digest(key)
    if _answered_without_charge(account, digest=digest, payment_method=payment_method):
        return ConnectsAccount.objects.get(pk=account.pk)
    price = Money(connects_policy_at(clock.now()).plus_plan.price_cents)
    subject = f"connects-plus:{user.pk}"
    with charge_claim(
        subject=subject,
        holder=digest,
        busy="A Plus subscription is being set up for you already; look again in a moment.",
    ):
        settled = card_charges_settle(subject=subject)
        account = ConnectsAccount.objects.get(pk=account.pk)
        if account.plan == Plan.PLUS and any(
            charge.state == CardChargeState.BOOKED for charge in settled
        ):
            # An earlier request's charge went through and has just started Plus.
            return account
        # The request that held the claim before this one may have started Plus meanwhile.
        if _answered_without_charge(account, digest=digest, payment_method=payment_method):
            return ConnectsAccount.objects.get(pk=account.pk)
        if price.cents > 0:
            charge = card_charge(
                user=user,
                amount=price,
                payment_method=payment_method,
                key=f"connects-plus:{user.pk}:{digest}",
                subject=subject,
                purpose=CardChargePurpose.PLUS_START,
                description=f"Openlance Plus, first month, user {user.pk}",
                ledger_description="Plus plan, first month",
                request_key=digest,
            )
            if charge.state == CardChargeState.DECLINED:
                raise card_declined(charge, field_errors=TRY_ANOTHER_CARD)
        else:
            connects_plus_start(
                user=user,
                payment_method=payment_method,
                subscription_key=digest,
                charge_reference="",
            )
        account = ConnectsAccount.objects.get(pk=account.pk)
        if account.plan == Plan.PLUS and account.plus_subscription_key == digest:
            return account
        if account.plan != Plan.PLUS:
            # The key's charge was booked long ago, for a subscription that has ended since.
            raise IdempotencyConflict(
                "This idempotency key was already used for an earlier subscription."
            )
        # Only when this request stalled past the claim's timeout and another one started
        # Plus meanwhile: the booking found Plus started, booked the second charge and
        # logged it for a refund by hand (the gateway port cannot refund).
        raise InvalidTransition("You are on Plus already.")


def connects_plus_start_charge_book(*, charge: CardCharge, result: ChargeResult) -> Transfer:
    """Book the first month of Plus as Connects revenue and start Plus under the account's
    lock, subscribed under the request's key digest, in the caller's transaction. An account
    on Plus already (another request started it) keeps it; the second charge is booked and
    logged for a refund by hand."""
    user = charge.user
    account = connects_account_locked(user=user)
    transfer = _book_revenue(
        result, user=user, kind="connects_plus", description=charge.ledger_description
    )
    if account.plan != Plan.PLUS:
        connects_plus_start(
            user=user,
            payment_method=charge.payment_method,
            subscription_key=charge.request_key,
            charge_reference=result.reference,
        )
    elif account.plus_subscription_key != charge.request_key:
        logger.error(
            "Plus for user %s was charged twice (charge %s); refund it by hand",
            user.pk,
            result.reference,
        )
    return transfer


def _renews(account: ConnectsAccount, user: User) -> bool:
    # Only an active freelancer's Plus is charged: a deactivated account or one that gave
    # up the freelancer role cannot use what it would pay for.
    return account.plus_renews and user.is_active and user.is_freelancer


def _renewal_key(account: ConnectsAccount, due_at: datetime) -> str:
    return f"connects-plus:{account.pk}:{due_at:%Y%m%dT%H%M%S}"


def _close_month(account_id: int, *, now: datetime) -> str | None:
    """Charge (for Plus) and grant the period due at the account's monthly date; None when
    nothing is due. A renewal charge whose run died is settled first, whatever the account
    says now (its booker closes the month it paid for on Plus): money taken is never booked
    for a month closed without it. A refusal from the gateway lapses Plus like a declined
    card does; PaymentGatewayUnavailable or the gateway's IdempotencyConflict (the outcome
    unknown) propagates, the period stays open and the next run asks again with the same
    key (and the same card: a run that died after recording the period's charge has it
    replayed as it was recorded)."""
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
    subject = f"connects-plus-renewal:{account.pk}"
    settled = card_charges_settle(subject=subject)
    if any(
        charge.state == CardChargeState.BOOKED and charge.period_start == due_at
        for charge in settled
    ):
        # That run's charge went through: its booking has just closed this month on Plus.
        return "plus"
    if not renews:
        connects_month_close(user=user, due_at=due_at, plan=Plan.BASIC, now=now)
        return "basic"
    price = Money(connects_policy_at(due_at).plus_plan.price_cents)
    if price.cents == 0:
        connects_month_close(user=user, due_at=due_at, plan=Plan.PLUS, now=now)
        return "plus"
    key = _renewal_key(account, due_at)
    recorded = CardCharge.objects.filter(key=key).first()
    if recorded is None and card_removed(user=user, payment_method=account.plus_payment_method):
        # The freelancer removed the card Plus renews on: it is not charged again.
        connects_month_close(
            user=user, due_at=due_at, plan=Plan.BASIC, now=now, lapse_reason="card_removed"
        )
        return "lapsed"
    try:
        charge = card_charge(
            user=user,
            amount=price,
            payment_method=recorded.payment_method if recorded else account.plus_payment_method,
            key=key,
            subject=subject,
            purpose=CardChargePurpose.PLUS_RENEWAL,
            description=f"Openlance Plus for the month from {due_at:%Y-%m-%d}, user {user.pk}",
            ledger_description=f"Plus plan from {due_at:%Y-%m-%d}",
            period_start=due_at,
        )
    except CardChargeConflict as conflict:
        # The key was recorded for another charge: refused before any gateway call, a
        # refusal like any other.
        lapse_reason = conflict.code
    except (PaymentGatewayUnavailable, IdempotencyConflict):
        # The gateway did not say whether it charged (down, or the key busy in a concurrent
        # replay): the month stays open for the next run rather than lapsing while a charge
        # may be going through.
        raise
    except DomainError as refusal:
        lapse_reason = refusal.code
    else:
        if charge.state == CardChargeState.BOOKED:
            # Its booking closed the month on Plus (connects_plus_renewal_charge_book).
            return "plus"
        lapse_reason = charge.decline_reason or "declined"
    connects_month_close(
        user=user, due_at=due_at, plan=Plan.BASIC, now=now, lapse_reason=lapse_reason
    )
    return "lapsed"


def connects_plus_renewal_charge_book(*, charge: CardCharge, result: ChargeResult) -> Transfer:
    """Book a month of Plus as Connects revenue and close that month on Plus (its allotment
    granted), in the caller's transaction. A month closed meanwhile without the charge (a
    cancellation that landed after the charge was sent) keeps what it got; the charge is
    booked and logged for a refund by hand."""
    assert charge.period_start is not None  # card_charge_period_only_for_renewals
    user = charge.user
    account = connects_account_locked(user=user)
    transfer = _book_revenue(
        result, user=user, kind="connects_plus", description=charge.ledger_description
    )
    if account.next_grant_at == charge.period_start:
        connects_month_close(user=user, due_at=charge.period_start, plan=Plan.PLUS, now=clock.now())
    else:
        logger.error(
            "Plus renewal of user %s for %s was charged (charge %s) after that month was "
            "closed without it; refund it by hand",
            user.pk,
            f"{charge.period_start:%Y-%m-%d}",
            result.reference,
        )
    return transfer


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
            except (PaymentGatewayUnavailable, IdempotencyConflict):
                logger.warning(
                    "Connects account %s: charge outcome unknown, will retry", account_id
                )
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
