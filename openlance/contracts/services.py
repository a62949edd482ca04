"""All writes to a fixed-price contract's milestones and amendments, the money they move, and
ending any contract (SPEC §7.1, §7.3 amendments and end, §8.2, §8.3, §17 auto-approval).

Money conventions (shared with the wallet and payouts code):
- funding: client funding -total → contract escrow +amount, platform fee revenue +client fees
  (kind "milestone_fund", key "milestone:<id>:fund", suffixed by the cents already funded when
  a milestone is topped up after a remainder was carried into it);
- release: escrow -gross → freelancer pending +net, platform fee revenue +fee (kind
  "milestone_release", key "milestone:<id>:release:<submission number>"), then a pending
  earning that becomes available after the security period;
- a remainder refunded: escrow → client funding ("escrow_refund"); the initiation fee goes
  back ("initiation_fee_refund") when a contract ends without any release.

Every change locks the contract row, then the milestone row (always in that order, so writers
never deadlock), so two approvals racing each other release once; the ledger's keys make
every retry a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, QuerySet, Sum

from openlance.accounts.models import User
from openlance.billing.claims import charge_claim
from openlance.billing.fees import client_fees
from openlance.billing.gateway import payment_gateway
from openlance.billing.models import (
    CardCharge,
    CardChargePurpose,
    CardChargeState,
    Payment,
    PaymentKind,
)
from openlance.billing.payments import payment_for_work, relationship_locked
from openlance.billing.selectors import MILESTONE_FUND
from openlance.billing.services import card_charge, card_charges_settle, card_declined
from openlance.contracts.models import (
    MAX_MILESTONES,
    MAXIMUM_MILESTONE_CENTS,
    MILESTONE_TRANSITIONS,
    MINIMUM_FIXED_CENTS,
    AcceptanceCriterion,
    Amendment,
    AmendmentState,
    Contract,
    ContractKind,
    ContractState,
    Milestone,
    MilestoneRelease,
    MilestoneState,
    Submission,
    SubmissionFile,
    criteria_error,
    tidy_criteria,
)
from openlance.core import clock
from openlance.core.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from openlance.core.money import Money
from openlance.core.policies import FeePolicy, PerContractSchedule, fee_policy_at, parse_params
from openlance.core.services import event_emit
from openlance.core.uploads import MEGABYTE, Document, checked_attachment
from openlance.ledger.models import AccountKind, LedgerAccount
from openlance.ledger.services import (
    account_for,
    accounts_lock,
    credited_account,
    platform_account,
    transfer_post,
)

AUTO_APPROVE_AFTER = timedelta(days=14)
AUTO_APPROVE_WARNING = timedelta(days=2)
MAX_SUBMISSION_FILES = 10
MAX_SUBMISSION_FILE_BYTES = 25 * MEGABYTE
MAX_MESSAGE = 5000
BALANCE = "balance"

ESCROW_REFUND = "escrow_refund"
INITIATION_FEE_REFUND = "initiation_fee_refund"

AMENDMENT_TRANSITIONS: dict[str, set[str]] = {
    AmendmentState.PENDING: {
        AmendmentState.ACCEPTED,
        AmendmentState.DECLINED,
        AmendmentState.WITHDRAWN,
    },
    AmendmentState.ACCEPTED: set(),
    AmendmentState.DECLINED: set(),
    AmendmentState.WITHDRAWN: set(),
}

# Money may go in while nothing is released yet: submitted work is funded afterwards too.
FUNDABLE_STATES = frozenset(
    {MilestoneState.NOT_FUNDED, MilestoneState.SUBMITTED, MilestoneState.CHANGES_REQUESTED}
)

OPEN_MILESTONE_STATES = (
    MilestoneState.NOT_FUNDED,
    MilestoneState.FUNDED,
    MilestoneState.SUBMITTED,
    MilestoneState.CHANGES_REQUESTED,
)


class Remainder:
    KEEP = "keep"
    REFUND = "refund"
    CHOICES = (KEEP, REFUND)


@dataclass(frozen=True)
class FundingQuote:
    """What funding a milestone costs the client now."""

    amount_cents: int
    marketplace_fee_cents: int
    initiation_fee_cents: int

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.marketplace_fee_cents + self.initiation_fee_cents


# --- helpers ---------------------------------------------------------------------------


def contract_fee_policy(contract: Contract) -> FeePolicy:
    """SPEC §8.2: the schedule in force when the contract started prices its payments,
    unless the policy in force now reprices running contracts. A per-contract rate is the
    one in force when the proposal (or, without one, the offer) was sent."""
    current = fee_policy_at(clock.now())
    if current.reprice_running_contracts:
        policy = current
    else:
        started = parse_params("fees", contract.fee_policy.params)
        assert isinstance(started, FeePolicy)
        policy = started
    if not isinstance(policy.freelancer_fee, PerContractSchedule):
        return policy
    offer = contract.offer
    sent_at = offer.proposal.created_at if offer.proposal is not None else offer.sent_at
    agreed = fee_policy_at(sent_at).freelancer_fee
    # A rate only exists if the schedule was per-contract then; otherwise today's applies.
    if isinstance(agreed, PerContractSchedule):
        return policy.model_copy(update={"freelancer_fee": agreed})
    return policy


def escrow_account(contract: Contract) -> LedgerAccount:
    return account_for(kind=AccountKind.CONTRACT_ESCROW, reference=contract.escrow_reference)


def _lock_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _locked_milestones() -> QuerySet[Milestone]:
    """Lock milestone rows only: the contract comes along for reading, and locking the
    shared fee policy row too would serialize every milestone write on the platform.
    Callers lock the contract first (`_lock_contract`), so two writers never wait on each
    other in a cycle."""
    return Milestone.objects.select_for_update(of=("self",)).select_related(
        "contract", "contract__fee_policy"
    )


def _lock_milestone(milestone: Milestone) -> Milestone:
    return _locked_milestones().get(pk=milestone.pk)


def _require_running(contract: Contract) -> None:
    if contract.state != ContractState.ACTIVE:
        raise Conflict(f"The contract is {contract.get_state_display().lower()}.")


def _require_active(contract: Contract) -> None:
    if contract.kind != ContractKind.FIXED:
        raise Conflict("Milestones belong to fixed-price contracts.")
    _require_running(contract)


def _require_party(contract: Contract, user: User, role: str) -> None:
    """Outsiders get a 404 (the contract is invisible to them); the wrong party a 409."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such milestone.")
    expected = contract.client_id if role == "client" else contract.freelancer_id
    if user.pk != expected:
        raise Conflict(f"Only the contract's {role} can do this.")


def _move(milestone: Milestone, target: str, *, emit: bool = True, **changes: Any) -> Milestone:
    """Change a locked milestone's state, checked against MILESTONE_TRANSITIONS."""
    previous = milestone.state
    if target != previous and target not in MILESTONE_TRANSITIONS[previous]:
        raise InvalidTransition(
            f"A milestone that is {milestone.get_state_display().lower()} cannot become "
            f"{MilestoneState(target).label.lower()}."
        )
    milestone.state = target
    for name, value in changes.items():
        setattr(milestone, name, value)
    milestone.save()
    if emit and target != previous:
        event_emit(
            kind=f"milestone.{target}",
            payload={
                "milestone_id": milestone.pk,
                "contract_id": milestone.contract_id,
                "from": previous,
                "to": target,
            },
        )
    return milestone


def _is_funded(milestone: Milestone) -> bool:
    return milestone.in_escrow_cents >= milestone.amount_cents


def contract_awaits_first_funding(contract: Contract) -> bool:
    """Nothing was funded on the contract yet, so the next funding carries the initiation
    fee."""
    return contract.first_funding_id is None


def _fund_key(milestone: Milestone) -> str:
    base = f"milestone:{milestone.pk}:fund"
    return base if milestone.funded_cents == 0 else f"{base}:{milestone.funded_cents}"


@dataclass(frozen=True)
class ContractPricing:
    """What prices a contract's fundings: its fee policy and whether the next funding is its
    first (which carries the initiation fee). Read once for a page of milestones."""

    policy: FeePolicy
    first_funding: bool


def contract_pricing(contract: Contract) -> ContractPricing:
    return ContractPricing(
        policy=contract_fee_policy(contract),
        first_funding=contract_awaits_first_funding(contract),
    )


def milestone_funding_quote(
    *, milestone: Milestone, pricing: ContractPricing | None = None
) -> FundingQuote:
    """`pricing` is `contract_pricing(milestone.contract)`, passed in when quoting several
    milestones of one contract."""
    pricing = pricing or contract_pricing(milestone.contract)
    fees = client_fees(
        pricing.policy,
        amount_cents=max(0, milestone.amount_cents - milestone.in_escrow_cents),
        first_payment_of_contract=pricing.first_funding,
    )
    return FundingQuote(
        amount_cents=fees.amount_cents,
        marketplace_fee_cents=fees.marketplace_fee_cents,
        initiation_fee_cents=fees.initiation_fee_cents,
    )


# --- funding ---------------------------------------------------------------------------


def _check_fundable(milestone: Milestone) -> None:
    if milestone.state not in FUNDABLE_STATES:
        raise InvalidTransition(
            f"A milestone that is {milestone.get_state_display().lower()} cannot be funded."
        )


def milestone_fund(*, client: User, milestone: Milestone, payment_method: str) -> Milestone:
    """The client puts the milestone's amount into the contract's escrow, paying the
    marketplace fee (and the initiation fee with the contract's first funding) on top.

    `payment_method` is "balance" (the client's funding balance) or a card token, charged
    through the gateway first and booked into the client's balance before the funding moves
    it on. A declined card books nothing. Funding an already funded milestone is a no-op,
    so a retry never pays twice. A card payment first claims the milestone's funding: a
    second card payment at the same time (another tab, another key or card) is refused
    before its card is charged. Once it holds the claim, a card charge for this funding
    whose request died is settled and used before any new card is charged (see
    `_charge_card`). Should the milestone be funded from the balance between the charge and
    the booking, the charge stays in the client's balance for later use.
    """
    contract = milestone.contract
    _require_party(contract, client, "client")
    _require_active(contract)
    payment_method = (payment_method or "").strip()
    if not payment_method:
        raise InvalidInput("Choose how to pay.", field_errors={"payment_method": ["Required."]})
    if _is_funded(milestone):
        return milestone
    _check_fundable(milestone)
    if payment_method == BALANCE:
        return _fund_from_balance(client=client, milestone=milestone)
    with charge_claim(
        subject=f"milestone:{milestone.pk}:fund",
        holder=_card_digest(payment_method),
        busy="A payment for this milestone is under way already; look again in a moment.",
    ):
        # The request that held the claim before this one may have funded it meanwhile.
        milestone = Milestone.objects.select_related("contract").get(pk=milestone.pk)
        if _is_funded(milestone):
            return milestone
        _check_fundable(milestone)
        _charge_card(client=client, milestone=milestone, payment_method=payment_method)
        return _fund_from_balance(client=client, milestone=milestone)


def _fund_from_balance(*, client: User, milestone: Milestone) -> Milestone:
    contract = milestone.contract
    with transaction.atomic():
        contract = _lock_contract(contract)
        locked = _lock_milestone(milestone)
        _require_active(contract)
        if _is_funded(locked):
            return locked
        _check_fundable(locked)
        quote = milestone_funding_quote(milestone=locked)
        legs = [
            (account_for(kind=AccountKind.CLIENT_FUNDING, owner=client), -quote.total_cents),
            (escrow_account(contract), quote.amount_cents),
        ]
        client_fee = quote.marketplace_fee_cents + quote.initiation_fee_cents
        if client_fee:
            legs.append(
                (platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk), client_fee)
            )
        funding = transfer_post(
            key=_fund_key(locked),
            kind=MILESTONE_FUND,
            description=f"Funded milestone “{locked.description}” of contract {contract.pk}",
            legs=legs,
            metadata={
                "contract_id": contract.pk,
                "milestone_id": locked.pk,
                "client_id": contract.client_id,
                "freelancer_id": contract.freelancer_id,
                "amount_cents": quote.amount_cents,
                "marketplace_fee_cents": quote.marketplace_fee_cents,
                "initiation_fee_cents": quote.initiation_fee_cents,
            },
            client=contract.client,
            freelancer=contract.freelancer,
        )
        if contract.first_funding_id is None:
            contract.first_funding = funding
            contract.initiation_fee_cents = quote.initiation_fee_cents
            contract.save(update_fields=["first_funding", "initiation_fee_cents"])
        # Work already submitted on an unfunded milestone stays under review once funded.
        target = (
            MilestoneState.FUNDED if locked.state == MilestoneState.NOT_FUNDED else locked.state
        )
        now = clock.now()
        _move(
            locked,
            target,
            emit=False,
            funded_cents=locked.funded_cents + quote.amount_cents,
            funded_at=now,
            **_review_clock_from(locked, now),
        )
        event_emit(
            kind="milestone.funded",
            payload={
                "milestone_id": locked.pk,
                "contract_id": contract.pk,
                "amount_cents": quote.amount_cents,
            },
        )
        return locked


def _review_clock_from(milestone: Milestone, now: datetime) -> dict[str, Any]:
    """Submitted work only approves itself once it is fully funded: when the money arrives
    the client gets the whole review period from then on."""
    if milestone.state != MilestoneState.SUBMITTED:
        return {}
    return {"auto_approve_at": now + AUTO_APPROVE_AFTER, "auto_approve_warned_at": None}


def _card_digest(payment_method: str) -> str:
    return hashlib.sha256(payment_method.encode()).hexdigest()[:16]


def _charge_card(*, client: User, milestone: Milestone, payment_method: str) -> None:
    """Charge the card for the funding's total and book it into the client's balance, unless
    the balance already holds a card payment made for this funding. Called under the
    funding's charge claim.

    The funding's earlier card charges (`CardCharge` subject: the funding's key) whose
    requests died are settled first, with their own key, card and amount: the gateway
    answers with a charge it made (which is then booked), or makes the one the client asked
    for. When the charges booked for this funding cover it and are still in the balance,
    nothing new is charged, whatever card this request brought. Otherwise the card is
    charged under the key of the funding, the card's digest, the total and the number of
    declined attempts, so a retry after a decline is a new attempt."""
    subject = _fund_key(milestone)
    gateway = payment_gateway()
    charges = _card_charges_by_state(subject)
    if CardChargeState.SENT in charges:
        card_charges_settle(subject=subject, gateway=gateway)
        charges = _card_charges_by_state(subject)
    quote = milestone_funding_quote(milestone=milestone)
    _, booked = charges.get(CardChargeState.BOOKED, (0, 0))
    if booked >= quote.total_cents:
        balance = account_for(kind=AccountKind.CLIENT_FUNDING, owner=client).balance_cents
        if balance >= quote.total_cents:
            return
    # Requests paying with the same card may hold the claim together (a retry takes over its
    # own claim at once), so they must arrive at the same key: it changes only with the
    # amount and after a decline.
    attempt, _ = charges.get(CardChargeState.DECLINED, (0, 0))
    charge = card_charge(
        user=client,
        amount=Money(quote.total_cents),
        payment_method=payment_method,
        key=f"{subject}:card:{_card_digest(payment_method)}:{quote.total_cents}"
        + (f":{attempt}" if attempt else ""),
        subject=subject,
        purpose=CardChargePurpose.MILESTONE,
        description=f"Openlance milestone {milestone.pk} of contract {milestone.contract_id}",
        ledger_description=f"Card payment for milestone “{milestone.description}”",
        ledger_metadata={"milestone_id": milestone.pk},
        gateway=gateway,
    )
    if charge.state == CardChargeState.DECLINED:
        raise card_declined(charge)


def _card_charges_by_state(subject: str) -> dict[str, tuple[int, int]]:
    """The card charges made for `subject`, in one query: state → (how many, cents)."""
    rows = (
        CardCharge.objects.filter(subject=subject)
        .values("state")
        .annotate(n=Count("id"), cents=Sum("amount_cents"))
        .order_by()
    )
    return {row["state"]: (row["n"], row["cents"]) for row in rows}


# --- submitting and reviewing work -----------------------------------------------------


def _checked_files(files: Sequence[UploadedFile]) -> list[Document]:
    if len(files) > MAX_SUBMISSION_FILES:
        raise InvalidInput(
            f"A submission has at most {MAX_SUBMISSION_FILES} files.",
            field_errors={"files": [f"At most {MAX_SUBMISSION_FILES} files."]},
        )
    return [
        checked_attachment(upload, field="files", max_bytes=MAX_SUBMISSION_FILE_BYTES)
        for upload in files
    ]


def _message(text: str, field: str = "message") -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write a message.", field_errors={field: ["Required."]})
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(
            f"The message is longer than {MAX_MESSAGE} characters.",
            field_errors={field: [f"At most {MAX_MESSAGE} characters."]},
        )
    return text


def milestone_submit(
    *,
    freelancer: User,
    milestone: Milestone,
    message: str,
    files: Sequence[UploadedFile] = (),
    criteria_met: Sequence[int] = (),
    acknowledge_unfunded: bool = False,
) -> Submission:
    """The freelancer hands in the work (or, from "changes requested", hands it in again).

    Work on an unfunded milestone is not protected (SPEC §7.1): it is accepted only when the
    freelancer acknowledged that, and the submission records whether it was funded. The
    client has 14 days to answer before the milestone approves itself.
    """
    return _submit(
        freelancer=freelancer,
        milestone=milestone,
        message=message,
        files=files,
        criteria_met=criteria_met,
        acknowledge_unfunded=acknowledge_unfunded,
        resubmission_only=False,
    )


def _submit(
    *,
    freelancer: User,
    milestone: Milestone,
    message: str,
    files: Sequence[UploadedFile],
    criteria_met: Sequence[int],
    acknowledge_unfunded: bool,
    resubmission_only: bool,
) -> Submission:
    contract = milestone.contract
    _require_party(contract, freelancer, "freelancer")
    _require_active(contract)
    text = _message(message)
    known = set(milestone.criteria.values_list("pk", flat=True))
    ticked = sorted({int(pk) for pk in criteria_met})
    if not set(ticked) <= known:
        raise InvalidInput(
            "Tick only this milestone's acceptance criteria.",
            field_errors={"criteria_met": ["Unknown criterion."]},
        )
    cleaned = _checked_files(files)
    with transaction.atomic():
        _require_active(_lock_contract(contract))
        locked = _lock_milestone(milestone)
        if resubmission_only and locked.state != MilestoneState.CHANGES_REQUESTED:
            raise InvalidTransition("Only a milestone with changes requested is resubmitted.")
        if MilestoneState.SUBMITTED not in MILESTONE_TRANSITIONS[locked.state]:
            raise InvalidTransition(
                f"Work cannot be submitted on a milestone that is "
                f"{locked.get_state_display().lower()}."
            )
        funded = _is_funded(locked)
        if not funded and not acknowledge_unfunded:
            raise Conflict(
                "This milestone is not funded: work on it is not protected. Confirm that you "
                "understand before submitting.",
                field_errors={"acknowledge_unfunded": ["Confirm to submit unfunded work."]},
            )
        now = clock.now()
        submission = Submission.objects.create(
            milestone=locked,
            message=text,
            criteria_met=ticked,
            was_funded=funded,
            created_at=now,
        )
        for document in cleaned:
            row = SubmissionFile(
                submission=submission,
                name=document.name[:200],
                size_bytes=document.size,
                content_type=document.content_type,
            )
            row.file.save(
                f"milestone-{locked.pk}-{document.content.name}", document.content, save=False
            )
            row.save()
        resubmitted = locked.state == MilestoneState.CHANGES_REQUESTED
        _move(
            locked,
            MilestoneState.SUBMITTED,
            emit=False,
            submitted_at=now,
            auto_approve_at=now + AUTO_APPROVE_AFTER,
            auto_approve_warned_at=None,
        )
        event_emit(
            kind="milestone.submitted",
            payload={
                "milestone_id": locked.pk,
                "contract_id": locked.contract_id,
                "submission_id": submission.pk,
                "resubmitted": resubmitted,
                "was_funded": funded,
            },
        )
    return submission


def milestone_resubmit(
    *,
    freelancer: User,
    milestone: Milestone,
    message: str,
    files: Sequence[UploadedFile] = (),
    criteria_met: Sequence[int] = (),
    acknowledge_unfunded: bool = False,
) -> Submission:
    """Submit again after the client asked for changes."""
    return _submit(
        freelancer=freelancer,
        milestone=milestone,
        message=message,
        files=files,
        criteria_met=criteria_met,
        acknowledge_unfunded=acknowledge_unfunded,
        resubmission_only=True,
    )


def milestone_request_changes(*, client: User, milestone: Milestone, message: str) -> Milestone:
    """The client sends the work back with what to change; the 14-day clock stops."""
    contract = milestone.contract
    _require_party(contract, client, "client")
    _require_active(contract)
    text = _message(message)
    with transaction.atomic():
        _require_active(_lock_contract(contract))
        locked = _lock_milestone(milestone)
        if locked.state != MilestoneState.SUBMITTED:
            raise InvalidTransition(
                f"Changes can be requested only on submitted work; this milestone is "
                f"{locked.get_state_display().lower()}."
            )
        latest = locked.submissions.order_by("-created_at", "-id").first()
        now = clock.now()
        if latest is not None:
            latest.changes_requested_at = now
            latest.changes_message = text
            latest.save(update_fields=["changes_requested_at", "changes_message"])
        _move(
            locked,
            MilestoneState.CHANGES_REQUESTED,
            auto_approve_at=None,
            auto_approve_warned_at=None,
        )
    return locked


# --- approval and release --------------------------------------------------------------


def _next_open_milestone(milestone: Milestone) -> Milestone | None:
    return (
        Milestone.objects.select_for_update()
        .filter(
            contract_id=milestone.contract_id,
            position__gt=milestone.position,
            state__in=OPEN_MILESTONE_STATES,
        )
        .order_by("position")
        .first()
    )


def _release(locked: Milestone, *, amount_cents: int, remainder: str, automatic: bool) -> Payment:
    """Pay `amount_cents` of the locked milestone's escrow to the freelancer and settle the
    rest. The caller holds the milestone's row lock and checked the state."""
    contract = locked.contract
    freelancer = contract.freelancer
    client = contract.client
    number = locked.submissions.count()
    # The payment and the refund of what is left lock accounts each; take them all first,
    # after the relationship that the payment locks before its accounts.
    relationship_locked(freelancer=freelancer, client=client)
    accounts_lock(
        [
            escrow_account(contract),
            account_for(kind=AccountKind.FREELANCER_PENDING, owner=freelancer),
            platform_account(AccountKind.PLATFORM_FEE_REVENUE, spread=client.pk),
            account_for(kind=AccountKind.CLIENT_FUNDING, owner=client),
        ]
    )
    payment = payment_for_work(
        kind=PaymentKind.MILESTONE_RELEASE,
        key=f"milestone:{locked.pk}:release:{number}",
        freelancer=freelancer,
        client=client,
        gross=Money(amount_cents),
        source=escrow_account(contract),
        schedule=contract_fee_policy(contract).freelancer_fee,
        description=f"Released milestone “{locked.description}” of contract {contract.pk}",
        metadata={
            "contract_id": contract.pk,
            "milestone_id": locked.pk,
            "automatic": automatic,
        },
    )
    MilestoneRelease.objects.get_or_create(
        payment=payment,
        defaults={
            "milestone": locked,
            "contract": contract,
            "automatic": automatic,
            "created_at": payment.created_at,
        },
    )
    rest = locked.in_escrow_cents - amount_cents
    carried = refunded = 0
    if rest and remainder == Remainder.KEEP:
        following = _next_open_milestone(locked)
        if following is not None:
            carried = min(rest, max(0, following.amount_cents - following.in_escrow_cents))
        if following is not None and carried:
            following.funded_cents += carried
            following.carried_in_cents += carried
            if _is_funded(following):
                following.funded_at = clock.now()
                for name, value in _review_clock_from(following, following.funded_at).items():
                    setattr(following, name, value)
            if following.state == MilestoneState.NOT_FUNDED and _is_funded(following):
                _move(following, MilestoneState.FUNDED, emit=False)
                event_emit(
                    kind="milestone.funded",
                    payload={
                        "milestone_id": following.pk,
                        "contract_id": contract.pk,
                        "amount_cents": following.funded_cents,
                        "carried_from": locked.pk,
                    },
                )
            else:
                following.save()
    refunded = rest - carried
    if refunded:
        transfer_post(
            key=f"milestone:{locked.pk}:refund:{number}",
            kind=ESCROW_REFUND,
            description=f"Unreleased escrow of milestone “{locked.description}” refunded",
            legs=[
                (escrow_account(contract), -refunded),
                (account_for(kind=AccountKind.CLIENT_FUNDING, owner=client), refunded),
            ],
            client=client,
            freelancer=freelancer,
            metadata={
                "contract_id": contract.pk,
                "milestone_id": locked.pk,
                "client_id": client.pk,
                "freelancer_id": freelancer.pk,
                "amount_cents": refunded,
            },
        )
    now = clock.now()
    _move(
        locked,
        MilestoneState.APPROVED,
        emit=False,
        released_cents=locked.released_cents + amount_cents,
        refunded_cents=locked.refunded_cents + refunded,
        funded_cents=locked.funded_cents - carried,
        carried_out_cents=locked.carried_out_cents + carried,
        approved_at=now,
        auto_approve_at=None,
    )
    event_emit(
        kind="milestone.approved",
        payload={
            "milestone_id": locked.pk,
            "contract_id": contract.pk,
            "gross_cents": amount_cents,
            "fee_cents": payment.fee_cents,
            "net_cents": payment.net_cents,
            "carried_cents": carried,
            "refunded_cents": refunded,
            "automatic": automatic,
        },
    )
    return payment


def milestone_approve(
    *,
    client: User,
    milestone: Milestone,
    amount: Money | None = None,
    remainder: str = Remainder.REFUND,
) -> Milestone:
    """The client accepts the work and releases its escrow: all of it, or `amount` of it
    with the rest kept for the next open milestone or refunded to the client's balance. A
    remainder larger than the next milestone still needs is refunded beyond that."""
    contract = milestone.contract
    _require_party(contract, client, "client")
    _require_active(contract)
    if remainder not in Remainder.CHOICES:
        raise InvalidInput(
            "Choose what happens to the rest: keep or refund.",
            field_errors={"remainder": ["Choose keep or refund."]},
        )
    if amount is not None and amount.currency != "USD":
        raise InvalidInput("Only USD is supported.", field_errors={"amount": ["Use USD."]})
    with transaction.atomic():
        _require_active(_lock_contract(contract))
        locked = _lock_milestone(milestone)
        if locked.state != MilestoneState.SUBMITTED:
            raise InvalidTransition(
                f"Only submitted work is approved; this milestone is "
                f"{locked.get_state_display().lower()}."
            )
        in_escrow = locked.in_escrow_cents
        if in_escrow <= 0:
            raise Conflict("Fund the milestone before approving it: there is nothing to release.")
        release = in_escrow if amount is None else amount.cents
        if not 0 < release <= in_escrow:
            raise InvalidInput(
                f"Release between $0.01 and {Money(in_escrow)}.",
                field_errors={"amount": [f"At most {Money(in_escrow)} is in escrow."]},
            )
        keeping = remainder == Remainder.KEEP and release < in_escrow
        if keeping and _next_open_milestone(locked) is None:
            raise InvalidInput(
                "There is no later open milestone to keep the rest for; refund it instead.",
                field_errors={"remainder": ["No next milestone: choose refund."]},
            )
        _release(locked, amount_cents=release, remainder=remainder, automatic=False)
    return locked


def milestone_auto_approve_run_due(*, now: datetime) -> dict[str, int]:
    """SPEC §17: submitted work the client left unanswered for 14 days is approved in full;
    2 days before, the client is reminded. Work not fully funded waits (releasing part of
    the amount would close the milestone short); the clock restarts when it is funded.
    Safe to run twice: each milestone is re-checked under its lock."""
    warned = approved = 0
    fully_funded = {
        "funded_cents__gte": F("amount_cents") + F("released_cents") + F("refunded_cents")
    }
    soon = (
        Milestone.objects.filter(
            state=MilestoneState.SUBMITTED,
            auto_approve_at__lte=now + AUTO_APPROVE_WARNING,
            auto_approve_at__gt=now,
            auto_approve_warned_at__isnull=True,
            **fully_funded,
        )
        .values_list("pk", "contract_id")
        .order_by("pk")
    )
    for pk, contract_id in list(soon):
        with transaction.atomic():
            _lock_contract(Contract(pk=contract_id))
            locked = _lock_milestone(Milestone(pk=pk))
            if (
                locked.auto_approve_warned_at is not None
                or locked.state != MilestoneState.SUBMITTED
                or not _is_funded(locked)
            ):
                continue
            locked.auto_approve_warned_at = now
            locked.save(update_fields=["auto_approve_warned_at"])
            event_emit(
                kind="milestone.auto_approve_soon",
                payload={
                    "milestone_id": pk,
                    "contract_id": locked.contract_id,
                    "auto_approve_at": locked.auto_approve_at.isoformat()
                    if locked.auto_approve_at
                    else None,
                },
            )
            warned += 1
    due = (
        Milestone.objects.filter(
            state=MilestoneState.SUBMITTED,
            auto_approve_at__lte=now,
            contract__state=ContractState.ACTIVE,
            **fully_funded,
        )
        .values_list("pk", "contract_id")
        .order_by("pk")
    )
    for pk, contract_id in list(due):
        with transaction.atomic():
            contract = _lock_contract(Contract(pk=contract_id))
            locked = _lock_milestone(Milestone(pk=pk))
            if (
                contract.state != ContractState.ACTIVE
                or locked.state != MilestoneState.SUBMITTED
                or locked.auto_approve_at is None
                or locked.auto_approve_at > now
                or not _is_funded(locked)
            ):
                continue
            _release(
                locked,
                amount_cents=locked.in_escrow_cents,
                remainder=Remainder.REFUND,
                automatic=True,
            )
            approved += 1
    return {"warned": warned, "approved": approved}


def milestone_cancel(*, user: User, milestone: Milestone) -> Milestone:
    """Take a milestone off the contract. Either side may cancel one that is not funded;
    money in escrow goes back to the client only when the freelancer gives the milestone up
    (a client who wants funded money back without the freelancer's consent opens a dispute)."""
    contract = milestone.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such milestone.")
    _require_active(contract)
    with transaction.atomic():
        _lock_contract(contract)
        locked = _lock_milestone(milestone)
        if MilestoneState.CANCELLED not in MILESTONE_TRANSITIONS[locked.state]:
            raise InvalidTransition(
                f"A milestone that is {locked.get_state_display().lower()} cannot be cancelled."
            )
        in_escrow = locked.in_escrow_cents
        if in_escrow and user.pk != contract.freelancer_id:
            raise Conflict(
                "This milestone holds funds in escrow: ask the freelancer to cancel it, or "
                "approve the work."
            )
        if in_escrow:
            transfer_post(
                key=f"milestone:{locked.pk}:cancel:refund",
                kind=ESCROW_REFUND,
                description=f"Escrow of cancelled milestone “{locked.description}” refunded",
                legs=[
                    (escrow_account(contract), -in_escrow),
                    (
                        account_for(kind=AccountKind.CLIENT_FUNDING, owner=contract.client),
                        in_escrow,
                    ),
                ],
                metadata={
                    "contract_id": contract.pk,
                    "milestone_id": locked.pk,
                    "client_id": contract.client_id,
                    "freelancer_id": contract.freelancer_id,
                    "amount_cents": in_escrow,
                },
                client=contract.client,
                freelancer=contract.freelancer,
            )
        _move(
            locked,
            MilestoneState.CANCELLED,
            refunded_cents=locked.refunded_cents + in_escrow,
            auto_approve_at=None,
        )
    return locked


# --- amendments ------------------------------------------------------------------------


def _criteria(criteria: Sequence[str]) -> list[str]:
    cleaned = tidy_criteria(criteria)
    problem = criteria_error(cleaned)
    if problem:
        raise InvalidInput(problem, field_errors={"criteria": [problem]})
    return cleaned


def amendment_propose(
    *,
    user: User,
    contract: Contract,
    description: str,
    amount: Money,
    due_date: date | None = None,
    criteria: Sequence[str] = (),
    note: str = "",
) -> Amendment:
    """Either side proposes a new milestone; it joins the contract when the other accepts."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    _require_active(contract)
    errors: dict[str, list[str]] = {}
    description = " ".join((description or "").split())
    if not description:
        errors["description"] = ["Required."]
    elif len(description) > 500:
        errors["description"] = ["At most 500 characters."]
    if amount.currency != "USD":
        errors["amount"] = ["Use USD."]
    elif not MINIMUM_FIXED_CENTS <= amount.cents <= MAXIMUM_MILESTONE_CENTS:
        errors["amount"] = [
            f"Between {Money(MINIMUM_FIXED_CENTS)} and {Money(MAXIMUM_MILESTONE_CENTS)}."
        ]
    if due_date is not None and due_date < clock.now().date():
        errors["due_date"] = ["The due date is in the past."]
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = ["At most 2000 characters."]
    if errors:
        raise InvalidInput("Check the new milestone.", field_errors=errors)
    texts = _criteria(criteria)
    with transaction.atomic():
        locked = _lock_contract(contract)
        _require_active(locked)
        if (
            locked.milestones.count()
            + locked.amendments.filter(state=AmendmentState.PENDING).count()
            >= MAX_MILESTONES
        ):
            raise Conflict(f"A contract has at most {MAX_MILESTONES} milestones.")
        amendment = Amendment.objects.create(
            contract=locked,
            proposed_by=user,
            description=description,
            amount_cents=amount.cents,
            due_date=due_date,
            criteria=texts,
            note=note,
            created_at=clock.now(),
        )
        event_emit(
            kind="amendment.proposed",
            payload={
                "amendment_id": amendment.pk,
                "contract_id": locked.pk,
                "proposed_by": user.pk,
            },
        )
    return amendment


def _answer(amendment: Amendment, target: str) -> Amendment:
    locked = Amendment.objects.select_for_update().get(pk=amendment.pk)
    if target not in AMENDMENT_TRANSITIONS[locked.state]:
        raise InvalidTransition(
            f"An amendment that is {locked.get_state_display().lower()} cannot become "
            f"{AmendmentState(target).label.lower()}."
        )
    locked.state = target
    locked.responded_at = clock.now()
    return locked


def _require_other_side(amendment: Amendment, user: User) -> None:
    contract = amendment.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such amendment.")
    if user.pk == amendment.proposed_by_id:
        raise Conflict("The other side answers your amendment.")


def amendment_accept(*, user: User, amendment: Amendment) -> Amendment:
    """The other side agrees: the milestone joins the contract, last in line."""
    _require_other_side(amendment, user)
    _require_active(amendment.contract)
    with transaction.atomic():
        contract = _lock_contract(amendment.contract)
        _require_active(contract)
        locked = _answer(amendment, AmendmentState.ACCEPTED)
        if contract.milestones.count() >= MAX_MILESTONES:
            raise Conflict(f"A contract has at most {MAX_MILESTONES} milestones.")
        last = contract.milestones.order_by("-position").values_list("position", flat=True)
        milestone = Milestone.objects.create(
            contract=contract,
            position=(last[0] if last else 0) + 1,
            description=locked.description,
            amount_cents=locked.amount_cents,
            due_date=locked.due_date,
        )
        AcceptanceCriterion.objects.bulk_create(
            AcceptanceCriterion(milestone=milestone, position=n, text=text)
            for n, text in enumerate(locked.criteria, start=1)
        )
        locked.milestone = milestone
        locked.save()
        event_emit(
            kind="amendment.accepted",
            payload={
                "amendment_id": locked.pk,
                "contract_id": contract.pk,
                "milestone_id": milestone.pk,
            },
        )
    return locked


def amendment_decline(*, user: User, amendment: Amendment) -> Amendment:
    _require_other_side(amendment, user)
    with transaction.atomic():
        locked = _answer(amendment, AmendmentState.DECLINED)
        locked.save()
        event_emit(
            kind="amendment.declined",
            payload={"amendment_id": locked.pk, "contract_id": locked.contract_id},
        )
    return locked


def amendment_withdraw(*, user: User, amendment: Amendment) -> Amendment:
    contract = amendment.contract
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such amendment.")
    if user.pk != amendment.proposed_by_id:
        raise Conflict("Only who proposed an amendment withdraws it.")
    with transaction.atomic():
        locked = _answer(amendment, AmendmentState.WITHDRAWN)
        locked.save()
    return locked


# --- ending ----------------------------------------------------------------------------


def contract_end(*, user: User, contract: Contract) -> Contract:
    """Either side ends a contract: a fixed-price one once every milestone is approved or
    cancelled, an hourly one at any time (it holds no escrow). Escrow left over goes back
    to the client, and the initiation fee too when nothing was ever released (SPEC §8.3)."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    _require_running(contract)
    with transaction.atomic():
        locked = _lock_contract(contract)
        _require_running(locked)
        open_count = locked.milestones.filter(state__in=OPEN_MILESTONE_STATES).count()
        if open_count:
            raise Conflict(
                f"{open_count} milestone(s) are still open: approve or cancel them first."
            )
        client_funding = account_for(kind=AccountKind.CLIENT_FUNDING, owner=locked.client)
        escrow = escrow_account(locked)
        initiation = locked.initiation_fee_cents
        refund_initiation = bool(initiation) and not locked.milestone_releases.exists()
        revenue = None
        if refund_initiation:
            assert locked.first_funding is not None  # recorded with the initiation fee
            revenue = credited_account(locked.first_funding, AccountKind.PLATFORM_FEE_REVENUE)
        # Two transfers touch the client's balance: lock every account first, in one order.
        accounts_lock([client_funding, escrow, *([revenue] if revenue else [])])
        escrow.refresh_from_db()
        if escrow.balance_cents > 0:
            transfer_post(
                key=f"contract:{locked.pk}:end:refund",
                kind=ESCROW_REFUND,
                description=f"Escrow left on contract {locked.pk} refunded at its end",
                legs=[(escrow, -escrow.balance_cents), (client_funding, escrow.balance_cents)],
                client=locked.client,
                freelancer=locked.freelancer,
                metadata={
                    "contract_id": locked.pk,
                    "client_id": locked.client_id,
                    "freelancer_id": locked.freelancer_id,
                    "amount_cents": escrow.balance_cents,
                },
            )
        if revenue is not None:
            transfer_post(
                key=f"contract:{locked.pk}:initiation_fee:refund",
                kind=INITIATION_FEE_REFUND,
                description=f"Initiation fee of contract {locked.pk} refunded (nothing released)",
                legs=[(revenue, -initiation), (client_funding, initiation)],
                client=locked.client,
                freelancer=locked.freelancer,
                metadata={
                    "contract_id": locked.pk,
                    "client_id": locked.client_id,
                    "amount_cents": initiation,
                },
            )
        locked.state = ContractState.ENDED
        locked.ended_at = clock.now()
        locked.save(update_fields=["state", "ended_at"])
        event_emit(
            kind="contract.ended",
            payload={"contract_id": locked.pk, "ended_by": user.pk},
        )
    contract.state = locked.state
    contract.ended_at = locked.ended_at
    return contract
