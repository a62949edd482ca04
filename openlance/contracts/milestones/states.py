"""A milestone's state and review clock, shared by funding, submissions and release:
moving a locked milestone to another state (checked against `MILESTONE_TRANSITIONS`), when
it counts as funded, which states are still open, and the 14 days the client has to answer
submitted work (SPEC §17)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from openlance.contracts.models import MILESTONE_TRANSITIONS, Milestone, MilestoneState
from openlance.core.errors import InvalidTransition
from openlance.core.services import event_emit

AUTO_APPROVE_AFTER = timedelta(days=14)

OPEN_MILESTONE_STATES = (
    MilestoneState.NOT_FUNDED,
    MilestoneState.FUNDED,
    MilestoneState.SUBMITTED,
    MilestoneState.CHANGES_REQUESTED,
    MilestoneState.DISPUTED,
)


def move_locked(
    milestone: Milestone, target: str, *, emit: bool = True, **changes: Any
) -> Milestone:
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


def is_funded(milestone: Milestone) -> bool:
    return milestone.in_escrow_cents >= milestone.amount_cents


def review_clock_from(milestone: Milestone, now: datetime) -> dict[str, Any]:
    """Submitted work only approves itself once it is fully funded: when the money arrives
    the client gets the whole review period from then on."""
    if milestone.state != MilestoneState.SUBMITTED:
        return {}
    return {"auto_approve_at": now + AUTO_APPROVE_AFTER, "auto_approve_warned_at": None}
