"""Writes of the Job Success Score (SPEC §11): recomputing a freelancer's score from the
stored facts, keeping the current score and a history row for every change with its reason,
and handing the score to profiles so search ranks and filters by it. Recomputed on every
event that changes an input (`handlers`), daily for contracts ageing out of a window or
becoming long-running (`jss_ageing_run_due`), and when a new policy version takes effect
(`jss_policy_run_due`). `jss_backfill` computes, once and by hand (`manage.py jss_backfill`),
the scores of freelancers whose contracts predate the score.

Badges (SPEC §12): the weekly snapshots of every score (`jss_snapshots_run_due`), each
freelancer's badges recomputed when their score changes, when a mediator places or lifts a
hold on their account (`account_hold_place`, `account_hold_lift`), and daily for everyone
(`badges_run_due`), with a history row for each badge earned or lost and the one-time
Rising Talent Connects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.accounts.services import audit_record
from openlance.connects.services import connects_rising_talent_grant
from openlance.contracts.models import Contract
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.services import event_emit
from openlance.profiles.badges import Badge
from openlance.profiles.models import Freelancer
from openlance.profiles.services import freelancer_badges_record, freelancer_score_record
from openlance.reputation.badges import BadgesResult, badges_compute, week_start
from openlance.reputation.jss import JssResult, jss_compute
from openlance.reputation.models import (
    AccountHold,
    BadgeChange,
    BadgeReason,
    BadgeStatus,
    JssChange,
    JssReason,
    JssScore,
    JssSnapshot,
)
from openlance.reputation.selectors import (
    badge_facts,
    badge_params_at,
    jss_badge_facts,
    jss_inputs,
    jss_params_at,
)


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
        for_badges = jss_badge_facts(inputs, result)
        badge_facts_changed = (row.negative_outcomes, row.first_contract_at) != (
            len(for_badges.negative_contracts),
            for_badges.first_contract_at,
        )
        row.negative_outcomes = len(for_badges.negative_contracts)
        row.first_contract_at = for_badges.first_contract_at
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
        if changed or badge_facts_changed:
            badges_recompute(freelancer_id=user.pk, reason=BadgeReason.JSS_CHANGED, now=now)
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


# --- badges ----------------------------------------------------------------------------------

BADGE_CHUNK = 1_000
SNAPSHOT_CHUNK = 2_000
MAX_HOLD_REASON = 2_000


def jss_snapshots_run_due(*, now: datetime) -> int:
    """Keep this week's snapshot (under its Monday, UTC) of every stored score, "no score
    yet" included, for Top Rated's "13 of the last 16 weekly snapshots". Scheduled just
    after Monday 00:00 UTC; a later run (by hand) keeps the score as it stands then. Reads
    the scores without a snapshot this week in id order and inserts them in batches; safe
    to run twice (the second run finds none, and a race is absorbed by the unique week).
    Returns how many were taken."""
    week = week_start(now)
    missing = (
        JssScore.objects.filter(
            ~Exists(
                JssSnapshot.objects.filter(freelancer_id=OuterRef("freelancer_id"), week_start=week)
            )
        )
        .order_by("freelancer_id")
        .values_list("freelancer_id", "score")
    )
    taken = 0
    batch: list[JssSnapshot] = []
    for freelancer_id, score in missing.iterator(chunk_size=SNAPSHOT_CHUNK):
        batch.append(
            JssSnapshot(freelancer_id=freelancer_id, week_start=week, score=score, taken_at=now)
        )
        if len(batch) == SNAPSHOT_CHUNK:
            taken += _snapshots_insert(batch)
            batch = []
    return taken + _snapshots_insert(batch)


def _snapshots_insert(batch: list[JssSnapshot]) -> int:
    if batch:
        JssSnapshot.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


def _badges_store(
    *, freelancer_id: int, result: BadgesResult, reason: str, now: datetime
) -> BadgeStatus:
    """Store one freelancer's computed badges under a lock on their row: a history row for
    each badge earned or lost (a lost one with the criteria it missed), the copy on their
    profiles, and the Rising Talent Connects when that badge is earned (once per account:
    the grant's key is the account's)."""
    held = set(result.held)
    with transaction.atomic():
        status = BadgeStatus.objects.select_for_update().filter(freelancer_id=freelancer_id).first()
        if status is None:
            created, _ = BadgeStatus.objects.get_or_create(
                freelancer_id=freelancer_id, defaults={"computed_at": now}
            )
            status = BadgeStatus.objects.select_for_update().get(pk=created.pk)
        if status.computed_at > now:
            # Computed since from newer facts (a hold placed while the daily run read its
            # thousand): the older result must not overwrite it.
            return status
        before = set(status.held)
        for badge in Badge:
            setattr(status, badge.value, badge in held)
        status.computed_at = now
        status.save()
        BadgeChange.objects.bulk_create(
            [
                BadgeChange(
                    freelancer_id=freelancer_id,
                    badge=badge,
                    earned=badge in held,
                    at=now,
                    reason=reason,
                    unmet=[] if badge in held else list(result.of(badge).unmet),
                )
                for badge in Badge
                if (badge in held) != (badge in before)
            ]
        )
        user = User.objects.get(pk=freelancer_id)
        freelancer_badges_record(user=user, badges=[badge.value for badge in result.held])
        if Badge.RISING_TALENT in held - before and user.is_freelancer:
            connects_rising_talent_grant(user=user)
    return status


def badges_recompute(
    *, freelancer_id: int, reason: str, now: datetime | None = None
) -> BadgeStatus:
    """Compute one freelancer's badges at `now` (the clock's by default) under the rules in
    force and store them (see `_badges_store`). Safe to repeat: the same facts at the same
    moment change nothing."""
    reason = BadgeReason(reason)
    now = now or clock.now()
    if not User.objects.filter(pk=freelancer_id).exists():
        raise NotFound("There is no such freelancer.")
    _, params = badge_params_at(now)
    _, jss_params = jss_params_at(now)
    facts = badge_facts(user_ids=[freelancer_id], now=now, params=params, jss_params=jss_params)
    result = badges_compute(facts[freelancer_id], now=now, params=params)
    return _badges_store(freelancer_id=freelancer_id, result=result, reason=reason, now=now)


def badges_run_due(*, now: datetime) -> int:
    """Recompute every freelancer's badges at `now` (daily: being active, the first hire's
    age, the earnings window and the snapshots all move with time). A thousand freelancers
    at a time, each thousand read in a fixed number of queries (`selectors.badge_facts`);
    only a freelancer whose badges (or their profile's copy) differ is written, with the
    history; the others' `computed_at` moves in one UPDATE a thousand. A freelancer recomputed
    after `now` while the run went on keeps that newer result. Safe to run twice: the second
    run changes nothing. Returns how many freelancers' badges changed."""
    _, params = badge_params_at(now)
    _, jss_params = jss_params_at(now)
    user_ids = list(Freelancer.objects.order_by("user_id").values_list("user_id", flat=True))
    changed = 0
    for start in range(0, len(user_ids), BADGE_CHUNK):
        chunk = user_ids[start : start + BADGE_CHUNK]
        facts = badge_facts(user_ids=chunk, now=now, params=params, jss_params=jss_params)
        stored = {
            row[0]: [badge.value for badge, on in zip(Badge, row[1:], strict=True) if on]
            for row in BadgeStatus.objects.filter(freelancer_id__in=chunk).values_list(
                "freelancer_id", *Badge.values
            )
        }
        copies = dict(Freelancer.objects.filter(user_id__in=chunk).values_list("user_id", "badges"))
        unchanged: list[int] = []
        first: list[int] = []
        for user_id in chunk:
            result = badges_compute(facts[user_id], now=now, params=params)
            held = [badge.value for badge in result.held]
            if copies.get(user_id) == held and stored.get(user_id, []) == held:
                (unchanged if user_id in stored else first).append(user_id)
                continue
            _badges_store(freelancer_id=user_id, result=result, reason=BadgeReason.DAILY, now=now)
            changed += 1
        BadgeStatus.objects.filter(freelancer_id__in=unchanged, computed_at__lt=now).update(
            computed_at=now
        )
        BadgeStatus.objects.bulk_create(
            [BadgeStatus(freelancer_id=user_id, computed_at=now) for user_id in first],
            ignore_conflicts=True,
        )
    return changed


def _hold_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or "\x00" in reason or len(reason) > MAX_HOLD_REASON:
        raise InvalidInput(
            "Give the reason, for the record.",
            field_errors={"reason": [f"Required, at most {MAX_HOLD_REASON:,} characters."]},
        )
    return reason


def _require_mediator(staff: User) -> None:
    if not is_mediator(user=staff):
        raise PermissionDenied("Only mediators place and lift account holds.")


def account_hold_place(*, staff: User, user: User, reason: str) -> AccountHold:
    """A mediator holds `user`'s account (SPEC §12, §15): while the hold is open the freelancer
    cannot hold Top Rated or Top Rated Plus, so their badges are recomputed at once. With a
    reason, in the staff audit log; `account_hold_lift` ends it."""
    _require_mediator(staff)
    reason = _hold_reason(reason)
    if user.pk == staff.pk:
        raise Conflict("Staff do not hold their own account.")
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        if AccountHold.objects.filter(user=user, lifted_at__isnull=True).exists():
            raise Conflict(f"{user.email} is already on hold.")
        now = clock.now()
        hold = AccountHold.objects.create(user=user, reason=reason, placed_by=staff, placed_at=now)
        audit_record(
            actor=staff,
            action="account.hold_placed",
            target=user,
            detail={"hold_id": hold.pk, "user": user.email, "reason": reason},
        )
        badges_recompute(freelancer_id=user.pk, reason=BadgeReason.HOLD_PLACED, now=now)
    return hold


def account_hold_lift(*, staff: User, user: User, reason: str) -> AccountHold:
    """Lift `user`'s open hold, with a reason, audited; their badges are recomputed."""
    _require_mediator(staff)
    reason = _hold_reason(reason)
    with transaction.atomic():
        hold = (
            AccountHold.objects.select_for_update()
            .filter(user=user, lifted_at__isnull=True)
            .first()
        )
        if hold is None:
            raise Conflict(f"{user.email} is not on hold.")
        now = clock.now()
        hold.lifted_at = now
        hold.lifted_by = staff
        hold.lift_reason = reason
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            actor=staff,
            action="account.hold_lifted",
            target=user,
            detail={"hold_id": hold.pk, "user": user.email, "reason": reason},
        )
        badges_recompute(freelancer_id=user.pk, reason=BadgeReason.HOLD_LIFTED, now=now)
    return hold
