"""Writes of the Job Success Score (SPEC §11): recomputing a freelancer's score from the
stored facts, keeping the current score and a history row for every change with its reason,
and handing the score to profiles so search ranks and filters by it. Recomputed on every
event that changes an input (`handlers`), daily for contracts ageing out of a window or
becoming long-running (`jss_ageing_run_due`), and when a new policy version takes effect
(`jss_policy_run_due`). `jss_backfill` computes, once and by hand (`manage.py jss_backfill`),
the scores of freelancers whose contracts predate the score."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from openlance.accounts.models import User
from openlance.contracts.models import Contract
from openlance.core import clock
from openlance.core.errors import NotFound
from openlance.core.services import event_emit
from openlance.profiles.services import freelancer_score_record
from openlance.reputation.jss import JssResult, jss_compute
from openlance.reputation.models import JssChange, JssReason, JssScore
from openlance.reputation.selectors import jss_inputs, jss_params_at


def _windows(result: JssResult) -> list[dict[str, Any]]:
    return [
        {"months": window.months, "score": window.score, "contracts": window.contracts}
        for window in result.windows
    ]


def _counted(result: JssResult) -> list[dict[str, Any]]:
    """The counted contracts as the history keeps them: outcome classes and weights only."""
    return [
        {
            "contract_id": contract.contract_id,
            "basis": str(contract.basis),
            "outcome": str(contract.outcome),
            "weight_cents": contract.weight_cents,
            "windows": list(contract.windows),
        }
        for contract in result.contracts
        if contract.counted
    ]


def _state(score: int | None, windows: list[dict[str, Any]], counted: list[dict[str, Any]]) -> Any:
    """What a change is a change of: the score, each window's score and the counted
    contracts (a window without a score is the same as no window)."""
    scored = sorted((w["months"], w["score"]) for w in windows if w.get("score") is not None)
    return (score, scored, sorted(counted, key=lambda c: c["contract_id"]))


def _locked_score(user: User, *, now: datetime, policy_id: int) -> JssScore:
    row = JssScore.objects.select_for_update().filter(freelancer=user).first()
    if row is not None:
        return row
    created, _ = JssScore.objects.get_or_create(
        freelancer=user, defaults={"policy_id": policy_id, "computed_at": now}
    )
    return JssScore.objects.select_for_update().get(pk=created.pk)


def jss_recompute(
    *,
    freelancer_id: int,
    reason: str,
    contract_id: int | None = None,
    ref: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> JssScore:
    """Compute the freelancer's score at `now` (the clock's by default) under the JSS policy
    in force then, from their contracts, payments and revealed feedback; store it; record a
    `JssChange` with `reason` (a `JssReason`: the event kind or rule), the contract it was
    about and each window's score when the score or what it is made of changed; and store
    the score on the freelancer's profiles for search. Safe to repeat: the same facts at the
    same moment change nothing."""
    reason = JssReason(reason)
    now = now or clock.now()
    user = User.objects.filter(pk=freelancer_id).first()
    if user is None:
        raise NotFound("There is no such freelancer.")
    version, params = jss_params_at(now)
    with transaction.atomic():
        row = _locked_score(user, now=now, policy_id=version.pk)
        inputs = jss_inputs(freelancer_id=user.pk)
        result = jss_compute(inputs.facts, now=now, params=params)
        windows, counted = _windows(result), _counted(result)
        last = JssChange.objects.filter(freelancer=user).order_by("-at", "-id").first()
        before = (
            _state(last.new_score, last.windows, last.counted) if last else _state(None, [], [])
        )
        changed = before != _state(result.score, windows, counted)
        row.score = result.score
        row.counted_contracts = result.counted_contracts
        row.counted_clients = result.counted_clients
        row.policy = version
        row.computed_at = now
        row.next_change_at = result.next_change_at
        row.save()
        if changed:
            change = JssChange.objects.create(
                freelancer=user,
                at=now,
                old_score=last.new_score if last else None,
                new_score=result.score,
                reason=reason,
                contract_id=contract_id
                if contract_id is not None and contract_id in inputs.contracts
                else None,
                reason_ref=dict(ref or {}),
                policy=version,
                windows=windows,
                counted=counted,
            )
            event_emit(
                kind="jss.changed",
                payload={
                    "freelancer_id": user.pk,
                    "change_id": change.pk,
                    "old_score": change.old_score,
                    "new_score": change.new_score,
                    "reason": reason.value,
                },
            )
        freelancer_score_record(user=user, jss_percent=result.score)
    return row


def jss_ageing_run_due(*, now: datetime) -> int:
    """Recompute every score that time alone has changed by `now` (SPEC §11 "daily for
    contracts ageing out of a window"): a contract left a window or a running one reached
    90 days. Each score stores the first moment that can happen (`next_change_at`), so this
    reads an index, not every freelancer. Safe to run twice: a recomputed score's next
    moment is after `now`. Returns how many were recomputed."""
    # Sorted here: ordering in SQL would have SQLite walk the freelancer index instead.
    due = sorted(
        JssScore.objects.filter(next_change_at__lte=now).values_list("freelancer_id", flat=True)
    )
    for freelancer_id in due:
        jss_recompute(freelancer_id=freelancer_id, reason=JssReason.AGEING, now=now)
    return len(due)


def jss_backfill(*, now: datetime) -> int:
    """Compute the score of every freelancer who has contracts but no score yet: those whose
    contracts predate the score (later ones are computed by the events). One-off, by hand
    (`manage.py jss_backfill`): it reads every contract once, which no periodic rule may.
    Safe to run twice: the second run finds none. Returns how many were computed."""
    never = list(
        Contract.objects.filter(
            ~Exists(JssScore.objects.filter(freelancer_id=OuterRef("freelancer_id")))
        )
        .order_by("freelancer_id")
        .values_list("freelancer_id", flat=True)
        .distinct()
    )
    for freelancer_id in never:
        jss_recompute(freelancer_id=freelancer_id, reason=JssReason.BACKFILL, now=now)
    return len(never)


def _other_policy_ranges(version_id: int) -> list[Q]:
    # Two ranges rather than "<>" (as `profiles.search` does for ranks), so the index on
    # `policy` finds the scores of other versions at once; `policy` is never null.
    return [Q(policy_id__lt=version_id), Q(policy_id__gt=version_id)]


def jss_policy_run_due(*, now: datetime) -> int:
    """Once a new JSS policy version is in force at `now`, recompute every score computed
    under another one (the change is recorded with the version's id). Runs every 10
    minutes, so it first asks the index whether any score is of another version (one seek
    per range) and is done when none is; then it reads each stale range by the index. Safe
    to run twice: the second run finds none. Returns how many were recomputed."""
    version, _ = jss_params_at(now)
    ranges = [
        other
        for other in _other_policy_ranges(version.pk)
        if JssScore.objects.filter(other).exists()
    ]
    if not ranges:
        return 0
    stale = sorted(
        freelancer_id
        for other in ranges
        for freelancer_id in JssScore.objects.filter(other).values_list("freelancer_id", flat=True)
    )
    for freelancer_id in stale:
        jss_recompute(
            freelancer_id=freelancer_id,
            reason=JssReason.POLICY,
            ref={"policy_id": version.pk},
            now=now,
        )
    return len(stale)
