"""Amendments (SPEC §7.3): either side of a running contract proposes a change, which takes
effect when the other side accepts it. On a fixed-price contract the change is a new milestone,
which joins the contract last in line; on an hourly contract it is a new rate and weekly limit,
which bill from the next week on. The other side may decline instead, and whoever proposed a
change may withdraw it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from openlance.accounts.models import User
from openlance.contracts.common import (
    lock_contract,
    require_message_of,
    require_open_hourly,
    require_running_fixed,
)
from openlance.contracts.hourly import weeks
from openlance.contracts.milestones.states import OPEN_MILESTONE_STATES
from openlance.contracts.models import (
    MAX_MILESTONES,
    MAXIMUM_MILESTONE_CENTS,
    MINIMUM_FIXED_CENTS,
    AcceptanceCriterion,
    Amendment,
    AmendmentKind,
    AmendmentState,
    Contract,
    Milestone,
    criteria_error,
    hourly_terms_errors,
    tidy_criteria,
)
from openlance.contracts.terms import terms_changes, terms_in
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.money import Money
from openlance.core.services import event_emit
from openlance.messaging.models import Message

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
    source_message: Message | None = None,
) -> Amendment:
    """Either side proposes a new milestone; it joins the contract when the other accepts."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    require_message_of(contract, source_message)
    require_running_fixed(contract)
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
        locked = lock_contract(contract)
        require_running_fixed(locked)
        if (
            locked.milestones.count()
            + locked.amendments.filter(
                kind=AmendmentKind.MILESTONE, state=AmendmentState.PENDING
            ).count()
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
            source_message=source_message,
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


def amendment_propose_hourly_terms(
    *,
    user: User,
    contract: Contract,
    hourly_rate: Money,
    weekly_limit_hours: int,
    note: str = "",
    source_message: Message | None = None,
) -> Amendment:
    """Either side of an hourly contract proposes a new rate and weekly limit; accepted, they
    bill from the Monday after. One such proposal waits for an answer at a time."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    require_open_hourly(contract)
    require_message_of(contract, source_message)
    errors: dict[str, list[str]] = {}
    if hourly_rate.currency != "USD":
        errors["hourly_rate"] = ["Use USD."]
    else:
        errors.update(hourly_terms_errors(hourly_rate.cents, weekly_limit_hours))
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = ["At most 2000 characters."]
    if errors:
        raise InvalidInput("Check the new terms.", field_errors=errors)
    description = f"Rate {hourly_rate}/hr, weekly limit {weekly_limit_hours} h"
    with transaction.atomic():
        locked = lock_contract(contract)
        require_open_hourly(locked)
        if locked.amendments.filter(
            kind=AmendmentKind.HOURLY_TERMS, state=AmendmentState.PENDING
        ).exists():
            raise Conflict(
                "A change of terms is already waiting for an answer: withdraw it or wait for "
                "the answer first."
            )
        next_week = weeks.week_of(clock.now()) + weeks.WEEK
        upcoming = terms_in(terms_changes(locked), locked, next_week)
        if (upcoming.hourly_rate_cents, upcoming.weekly_limit_hours) == (
            hourly_rate.cents,
            weekly_limit_hours,
        ):
            raise InvalidInput(
                "Those are the terms already.",
                field_errors={"hourly_rate": ["Change the rate or the weekly limit."]},
            )
        amendment = Amendment.objects.create(
            contract=locked,
            kind=AmendmentKind.HOURLY_TERMS,
            proposed_by=user,
            description=description,
            hourly_rate_cents=hourly_rate.cents,
            weekly_limit_hours=weekly_limit_hours,
            note=note,
            created_at=clock.now(),
            source_message=source_message,
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


def amendment_propose_milestone_change(
    *,
    user: User,
    contract: Contract,
    milestone: Milestone,
    amount: Money | None = None,
    due_date: date | None = None,
    note: str = "",
    source_message: Message | None = None,
) -> Amendment:
    """Either side proposes a new amount (while the milestone is not funded) or a new due
    date (while it is open) for a milestone of the contract; it applies when the other
    accepts."""
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise NotFound("There is no such contract.")
    require_running_fixed(contract)
    require_message_of(contract, source_message)
    if milestone.contract_id != contract.pk:
        raise InvalidInput(
            "That milestone is not on this contract.",
            field_errors={"milestone": ["Not a milestone of this contract."]},
        )
    note = (note or "").strip()
    with transaction.atomic():
        locked = lock_contract(contract)
        require_running_fixed(locked)
        current = Milestone.objects.select_for_update().get(pk=milestone.pk)
        new_amount, new_due = _checked_change(current, amount, due_date, note)
        amendment = Amendment.objects.create(
            contract=locked,
            kind=AmendmentKind.MILESTONE_CHANGE,
            changes_milestone=current,
            base_amount_cents=current.amount_cents,
            base_due_date=current.due_date,
            proposed_by=user,
            description=_change_text(current, new_amount, new_due),
            amount_cents=new_amount,
            due_date=new_due,
            note=note,
            created_at=clock.now(),
            source_message=source_message,
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


def _checked_change(
    milestone: Milestone, amount: Money | None, due_date: date | None, note: str
) -> tuple[int, date | None]:
    """The milestone's amount and due date as changed, or why they cannot change."""
    errors: dict[str, list[str]] = {}
    if milestone.state not in OPEN_MILESTONE_STATES:
        raise Conflict(f"“{milestone.description}” is {milestone.get_state_display().lower()}.")
    new_amount = milestone.amount_cents
    if amount is not None and amount.cents != milestone.amount_cents:
        if amount.currency != "USD":
            errors["amount"] = ["Use USD."]
        elif not MINIMUM_FIXED_CENTS <= amount.cents <= MAXIMUM_MILESTONE_CENTS:
            errors["amount"] = [
                f"Between {Money(MINIMUM_FIXED_CENTS)} and {Money(MAXIMUM_MILESTONE_CENTS)}."
            ]
        elif milestone.in_escrow_cents or milestone.released_cents:
            errors["amount"] = ["The amount of a funded milestone no longer changes."]
        new_amount = amount.cents
    new_due = milestone.due_date
    if due_date is not None and due_date != milestone.due_date:
        if due_date < clock.now().date():
            errors["due_date"] = ["The due date is in the past."]
        new_due = due_date
    if len(note) > 2000:
        errors["note"] = ["At most 2000 characters."]
    if not errors and (new_amount, new_due) == (milestone.amount_cents, milestone.due_date):
        errors["amount"] = ["Change the amount or the due date."]
    if errors:
        raise InvalidInput("Check the change.", field_errors=errors)
    return new_amount, new_due


def _change_text(milestone: Milestone, amount: int, due: date | None) -> str:
    parts = []
    if amount != milestone.amount_cents:
        parts.append(f"{Money(milestone.amount_cents)} → {Money(amount)}")
    if due != milestone.due_date:
        parts.append(f"due {due:%b %-d, %Y}" if due else "no due date")
    return f"“{milestone.description}”: {', '.join(parts)}"[:500]


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


def _accept_hourly_terms(contract: Contract, amendment: Amendment) -> Amendment:
    """The new terms bill from the next Monday: the week being worked keeps its terms."""
    require_open_hourly(contract)
    locked = _answer(amendment, AmendmentState.ACCEPTED)
    locked.effective_week = weeks.week_of(clock.now()) + weeks.WEEK
    locked.save()
    event_emit(
        kind="amendment.accepted",
        payload={"amendment_id": locked.pk, "contract_id": contract.pk},
    )
    return locked


def _accept_milestone_change(contract: Contract, amendment: Amendment) -> Amendment:
    """The milestone takes the new amount and due date, checked again as it stands now (it
    may have been funded since the proposal)."""
    locked = _answer(amendment, AmendmentState.ACCEPTED)
    assert locked.changes_milestone_id is not None
    assert locked.amount_cents is not None
    milestone = Milestone.objects.select_for_update().get(pk=locked.changes_milestone_id)
    if milestone.state not in OPEN_MILESTONE_STATES:
        raise Conflict(f"“{milestone.description}” is {milestone.get_state_display().lower()}.")
    if (milestone.amount_cents, milestone.due_date) != (
        locked.base_amount_cents,
        locked.base_due_date,
    ):
        raise Conflict("The milestone changed since this was proposed: propose the change again.")
    if locked.amount_cents != milestone.amount_cents and (
        milestone.in_escrow_cents or milestone.released_cents
    ):
        raise Conflict("The milestone was funded since: its amount no longer changes.")
    milestone.amount_cents = locked.amount_cents
    milestone.due_date = locked.due_date
    milestone.save(update_fields=["amount_cents", "due_date"])
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


def amendment_accept(*, user: User, amendment: Amendment) -> Amendment:
    """The other side agrees: a milestone joins the contract, last in line; new hourly terms
    bill from the next week."""
    _require_other_side(amendment, user)
    with transaction.atomic():
        contract = lock_contract(amendment.contract)
        if amendment.kind == AmendmentKind.HOURLY_TERMS:
            return _accept_hourly_terms(contract, amendment)
        require_running_fixed(contract)
        if amendment.kind == AmendmentKind.MILESTONE_CHANGE:
            return _accept_milestone_change(contract, amendment)
        locked = _answer(amendment, AmendmentState.ACCEPTED)
        if contract.milestones.count() >= MAX_MILESTONES:
            raise Conflict(f"A contract has at most {MAX_MILESTONES} milestones.")
        last = contract.milestones.order_by("-position").values_list("position", flat=True)
        # A milestone amendment always has its amount (the table's check constraint).
        assert locked.amount_cents is not None
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
