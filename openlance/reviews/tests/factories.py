"""Ended contracts and feedback for the feedback tests.

Reviews sit beside contracts in the layer order (pyproject.toml), and the rule holds for
tests too: nothing here imports `openlance.contracts`. Contracts are made as people make
them, through the API (an offer, its acceptance, funding, submission and approval, the
end), and read back by name (`apps.get_model`) where a test needs the row."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.test import Client

from openlance.accounts.models import User
from openlance.accounts.services import token_create
from openlance.core import clock
from openlance.core.services import outbox_drain
from openlance.jobs.tests.factories import job_client, job_post
from openlance.proposals.tests.factories import funded_freelancer
from openlance.reviews.models import Feedback
from openlance.reviews.services import feedback_submit

ALL_FIVES = dict.fromkeys(
    ("skills", "quality", "availability", "deadlines", "communication", "cooperation"), 5
)


def contract_model() -> Any:
    return apps.get_model("contracts", "Contract")


class Api:
    """A JSON client holding one user's personal access token."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_create(user=user, name='tests')[1]}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            path, json.dumps(body or {}), content_type="application/json", headers=self.headers
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.content
        return response.json()


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def running_contract(
    *, client: User | None = None, freelancer: User | None = None, amount_cents: int = 50_000
) -> Any:
    """An active fixed-price contract with one milestone of `amount_cents`, from a direct
    offer the freelancer accepted."""
    client = client or job_client()
    freelancer = freelancer or funded_freelancer()
    as_client, as_freelancer = Api(client), Api(freelancer)
    job = job_post(client=client)
    offer = as_client.ok(
        as_client.post(
            "/api/v1/offers",
            {
                "kind": "fixed",
                "title": f"Website for post {job.pk}",
                "start_date": clock.now().date().isoformat(),
                "milestones": [
                    {"description": "The work", "amount": {"amount": _dollars(amount_cents)}}
                ],
                "job_id": job.pk,
                "freelancer_id": freelancer.pk,
            },
        ),
        201,
    )
    started = as_freelancer.ok(
        as_freelancer.post(f"/api/v1/offers/{offer['id']}/accept", {"revision": offer["revision"]}),
        201,
    )
    return contract_model().objects.get(pk=started["contract_id"])


def release(contract: Any, *, refund_cents: int = 0) -> None:
    """Fund the contract's open milestone by card, submit it, and approve it (releasing all
    but `refund_cents`, which goes back to the client)."""
    as_client, as_freelancer = Api(contract.client), Api(contract.freelancer)
    milestone = contract.milestones.exclude(state__in=["approved", "cancelled"]).get()
    as_client.ok(
        as_client.post(
            f"/api/v1/milestones/{milestone.pk}/fund", {"payment_method": "pm_card_visa"}
        )
    )
    submitted = as_freelancer.client.post(
        f"/api/v1/milestones/{milestone.pk}/submit",
        {"message": "Done."},
        headers=as_freelancer.headers,
    )
    assert submitted.status_code == 200, submitted.content
    approval: dict[str, Any] = {}
    if refund_cents:
        approval = {
            "amount": {"amount": _dollars(milestone.amount_cents - refund_cents)},
            "remainder": "refund",
        }
    as_client.ok(as_client.post(f"/api/v1/milestones/{milestone.pk}/approve", approval))


def end(contract: Any) -> Any:
    """End the contract (cancelling a milestone nobody funded), deliver its events as the
    worker would (the `contract.ended` handler opens the feedback window and emails both
    sides), and return it fresh."""
    as_client = Api(contract.client)
    for milestone in contract.milestones.filter(state="not_funded"):
        as_client.ok(as_client.post(f"/api/v1/milestones/{milestone.pk}/cancel"))
    as_client.ok(as_client.post(f"/api/v1/contracts/{contract.pk}/end"))
    outbox_drain(now=clock.now())
    return contract_model().objects.select_related("client", "freelancer").get(pk=contract.pk)


def ended_contract(
    *,
    client: User | None = None,
    freelancer: User | None = None,
    paid_cents: int = 0,
    refund_cents: int = 0,
) -> Any:
    """An ended fixed-price contract that paid the freelancer `paid_cents` (0: nothing was
    funded), ended at clock.now()."""
    contract = running_contract(
        client=client, freelancer=freelancer, amount_cents=(paid_cents + refund_cents) or 50_000
    )
    if paid_cents:
        release(contract, refund_cents=refund_cents)
    return end(contract)


def feedback(
    contract: Any,
    *,
    by: User,
    text: str = "Great to work with.",
    end_reason: str = "",
    recommend: int | None = None,
    **ratings: int,
) -> Feedback:
    """`by`'s feedback on `contract`: all fives unless `ratings` say otherwise."""
    return feedback_submit(
        user=by,
        contract=contract,
        **{**ALL_FIVES, **ratings},
        text=text,
        end_reason=end_reason,
        recommend=recommend,
    )
