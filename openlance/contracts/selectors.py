"""Reads over contracts, scoped to their two parties: anyone else gets a 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet

from openlance.accounts.models import User
from openlance.contracts.models import (
    Amendment,
    AmendmentState,
    Contract,
    ContractState,
    Milestone,
    MilestoneRelease,
    MilestoneState,
    Submission,
    SubmissionFile,
)
from openlance.core.errors import NotFound, require_id


def contracts_for(
    *, user: User, role: str | None = None, state: str | None = None
) -> QuerySet[Contract]:
    """The user's contracts as client or freelancer (or both), the newest first."""
    if role == "client":
        scope = Q(client=user)
    elif role == "freelancer":
        scope = Q(freelancer=user)
    else:
        scope = Q(client=user) | Q(freelancer=user)
    contracts = Contract.objects.filter(scope).select_related("client", "freelancer", "job")
    if state:
        contracts = contracts.filter(state=state)
    return contracts.order_by("-started_at", "-id")


def contract_for(*, user: User, contract_id: int) -> Contract:
    require_id(contract_id, "contract")
    contract = (
        contracts_for(user=user)
        .select_related("fee_policy", "offer")
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.order_by("position").prefetch_related(
                    "criteria",
                    Prefetch(
                        "submissions",
                        queryset=Submission.objects.order_by("-created_at", "-id").prefetch_related(
                            "files"
                        ),
                    ),
                ),
            ),
            Prefetch(
                "amendments",
                queryset=Amendment.objects.select_related("proposed_by", "milestone").order_by(
                    "-created_at", "-id"
                ),
            ),
        )
        .filter(pk=contract_id)
        .first()
    )
    if contract is None:
        raise NotFound("There is no such contract.")
    return contract


def milestone_for(*, user: User, milestone_id: int) -> Milestone:
    require_id(milestone_id, "milestone")
    milestone = (
        Milestone.objects.select_related("contract", "contract__fee_policy")
        .filter(Q(contract__client=user) | Q(contract__freelancer=user), pk=milestone_id)
        .first()
    )
    if milestone is None:
        raise NotFound("There is no such milestone.")
    return milestone


def amendment_for(*, user: User, amendment_id: int) -> Amendment:
    require_id(amendment_id, "amendment")
    amendment = (
        Amendment.objects.select_related("contract")
        .filter(Q(contract__client=user) | Q(contract__freelancer=user), pk=amendment_id)
        .first()
    )
    if amendment is None:
        raise NotFound("There is no such amendment.")
    return amendment


def submission_file_for(*, user: User, file_id: int) -> SubmissionFile:
    """A submitted file, for the contract's two parties only."""
    require_id(file_id, "file")
    found = (
        SubmissionFile.objects.select_related("submission__milestone__contract")
        .filter(
            Q(submission__milestone__contract__client=user)
            | Q(submission__milestone__contract__freelancer=user),
            pk=file_id,
        )
        .first()
    )
    if found is None:
        raise NotFound("There is no such file.")
    return found


def pending_amendments(contract: Contract) -> list[Amendment]:
    return [a for a in contract.amendments.all() if a.state == AmendmentState.PENDING]


@dataclass(frozen=True)
class ReleaseTier:
    rate_bp: int
    amount_cents: int
    fee_cents: int

    @property
    def rate_percent(self) -> str:
        return f"{self.rate_bp / 100:g}%"


@dataclass(frozen=True)
class Release:
    """One payment out of a milestone's escrow, as the ledger booked it."""

    milestone_id: int
    gross_cents: int
    fee_cents: int
    net_cents: int
    automatic: bool
    tiers: list[ReleaseTier]


def contract_releases(*, contract: Contract) -> dict[int, list[Release]]:
    """The releases of the contract's milestones, by milestone id, as billing priced them."""
    releases: dict[int, list[Release]] = {}
    rows = (
        MilestoneRelease.objects.filter(contract=contract)
        .select_related("payment")
        .order_by("created_at", "pk")
    )
    for row in rows:
        payment = row.payment
        release = Release(
            milestone_id=row.milestone_id,
            gross_cents=payment.gross_cents,
            fee_cents=payment.fee_cents,
            net_cents=payment.net_cents,
            automatic=row.automatic,
            tiers=[
                ReleaseTier(
                    rate_bp=int(tier["rate_bp"]),
                    amount_cents=int(tier["amount_cents"]),
                    fee_cents=int(tier["fee_cents"]),
                )
                for tier in payment.tiers
            ],
        )
        releases.setdefault(release.milestone_id, []).append(release)
    return releases


@dataclass(frozen=True)
class ContractTotals:
    amount_cents: int
    funded_cents: int
    in_escrow_cents: int
    released_cents: int
    refunded_cents: int


def contract_totals(*, contract: Contract) -> ContractTotals:
    milestones = list(contract.milestones.all())
    return ContractTotals(
        amount_cents=sum(m.amount_cents for m in milestones if m.state != "cancelled"),
        funded_cents=sum(m.funded_cents for m in milestones),
        in_escrow_cents=sum(m.in_escrow_cents for m in milestones),
        released_cents=sum(m.released_cents for m in milestones),
        refunded_cents=sum(m.refunded_cents for m in milestones),
    )


def milestones_to_act_on(*, user: User, role: str) -> QuerySet[Milestone]:
    """The milestones of the user's running contracts waiting for them, due first: for a
    client those to fund or to review; for a freelancer those funded to work on or sent
    back with changes."""
    if role == "client":
        waiting = Q(
            contract__client=user, state__in=(MilestoneState.NOT_FUNDED, MilestoneState.SUBMITTED)
        )
    else:
        waiting = Q(
            contract__freelancer=user,
            state__in=(MilestoneState.FUNDED, MilestoneState.CHANGES_REQUESTED),
        )
    return (
        Milestone.objects.filter(waiting, contract__state=ContractState.ACTIVE)
        .select_related("contract")
        .order_by(F("due_date").asc(nulls_last=True), "contract_id", "position")
    )
