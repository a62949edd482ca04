"""Contracts and feedback for the score's tests, made as people make them: offers accepted,
milestones funded by card and approved, contracts ended and feedback left through the
services and the API (the reviews factories), and the outbox delivered as the worker would.
No statistic is ever set by hand."""

from __future__ import annotations

from typing import Any

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.services import outbox_drain
from openlance.proposals.tests.factories import funded_freelancer
from openlance.reviews.tests.factories import ended_contract, feedback, release, running_contract

__all__ = ["deliver", "funded_freelancer", "rated_contract", "release", "running_contract"]


def deliver() -> int:
    """Deliver the outbox events as the worker would (the score recomputes from them)."""
    return outbox_drain(now=clock.now())


def rated_contract(
    freelancer: User,
    *,
    client: User | None = None,
    paid_cents: int = 50_000,
    recommend: int | None = 10,
    end_reason: str = "completed",
    reveal: bool = True,
    **ratings: int,
) -> Any:
    """An ended contract of `freelancer` that paid `paid_cents`, with the client's feedback
    (all fives unless `ratings` say otherwise; `recommend` None: public feedback only),
    revealed at once by the freelancer's own feedback when `reveal`."""
    contract = ended_contract(client=client, freelancer=freelancer, paid_cents=paid_cents)
    feedback(
        contract,
        by=contract.client,
        recommend=recommend,
        end_reason=end_reason if recommend is not None else "",
        **ratings,
    )
    if reveal:
        feedback(contract, by=contract.freelancer)
    deliver()
    return contract
