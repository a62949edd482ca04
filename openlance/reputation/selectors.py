"""Reads of the Job Success Score: the facts the pure computation takes, loaded from
contracts, billing's payments (through `reviews.selectors.contract_values`) and revealed
feedback, and the explanation a freelancer sees of their own score (SPEC §11): every
counted contract with its weight, windows and outcome class (never the client's private
number), each window's score, what moved since the change before, a what-if for each
contract still waiting for its client's feedback and the score over time. Only the
freelancer sees theirs: the page and the API ask for the requesting user's own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Max

from openlance.accounts.models import User
from openlance.contracts.models import Contract, ContractState, DisputeDecision
from openlance.core.models import Policy, PolicyKind
from openlance.core.money import Money
from openlance.core.policies import (
    JssPolicy,
    connects_policy_at,
    parse_params,
    policy_version_at,
)
from openlance.profiles.badges import Badge
from openlance.profiles.selectors import profile_completeness_of_users
from openlance.proposals.models import Proposal
from openlance.reputation.badges import (
    BadgeFacts,
    BadgeParams,
    BadgeResult,
    BadgesResult,
    ContractEarning,
    badges_compute,
    snapshot_weeks,
)
from openlance.reputation.chart import Chart, percent_text, score_chart
from openlance.reputation.jss import (
    Basis,
    ClientFeedback,
    ContractFacts,
    ContractResult,
    JssParams,
    JssResult,
    Outcome,
    WhatIf,
    add_months,
    jss_compute,
    jss_what_ifs,
)
from openlance.reputation.models import (
    AccountHold,
    BadgeChange,
    BadgeStatus,
    JssChange,
    JssReason,
    JssScore,
    JssSnapshot,
)
from openlance.reviews.models import (
    ATTRIBUTE_NAMES,
    ClientFeedbackFlag,
    Feedback,
    FeedbackDirection,
    FeedbackWindow,
    window_closes_at,
)
from openlance.reviews.selectors import contract_values, contract_values_since

HISTORY_SHOWN = 12


def jss_params_at(when: datetime) -> tuple[Policy, JssParams]:
    """The JSS policy version in force at `when`, and its parameters as exact numbers."""
    version = policy_version_at(PolicyKind.JSS, when)
    policy = parse_params(PolicyKind.JSS, version.params)
    assert isinstance(policy, JssPolicy)
    return version, JssParams.of(policy)


@dataclass(frozen=True)
class ContractInfo:
    """What the explanation shows of a contract besides its part in the score."""

    contract_id: int
    title: str
    client_id: int
    client_name: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class JssInputs:
    facts: tuple[ContractFacts, ...]
    contracts: dict[int, ContractInfo]


def ratings_total(ratings: Mapping[str, Any]) -> int | None:
    """The exact sum of a feedback's six public ratings (overall = the sum / 6), or None
    when it has no public part (any rating missing)."""
    values = [ratings[name] for name in ATTRIBUTE_NAMES]
    return None if any(value is None for value in values) else sum(int(v) for v in values)


def jss_inputs(*, freelancer_id: int, what_if: bool = False) -> JssInputs:
    """Every contract of the freelancer as the computation reads it: dates and state, what
    it paid (gross less refunds), whether it repeats an earlier contract with the same client,
    the client's revealed feedback (with whether it counts) and the dispute decision. Four
    queries, whatever the size of the marketplace; with `what_if`, two more for what only
    the what-if reads: which of the freelancer's clients are flagged now, and the feedback
    windows of the ended contracts still without the client's feedback."""
    rows = list(
        Contract.objects.filter(freelancer_id=freelancer_id)
        .select_related("client")
        .only(
            "pk",
            "title",
            "client_id",
            "client__first_name",
            "client__last_name",
            "client__email",
            "state",
            "started_at",
            "ended_at",
            "dispute_decision",
        )
        .order_by("started_at", "pk")
    )
    ids = [row.pk for row in rows]
    values = contract_values(contract_ids=ids)
    feedback = {
        int(item["contract_id"]): ClientFeedback(
            ratings_total=ratings_total(item),
            recommend=item["recommend"],
            counts=bool(item["counts"]),
        )
        for item in Feedback.objects.filter(
            contract_id__in=ids,
            direction=FeedbackDirection.CLIENT_TO_FREELANCER,
            revealed_at__isnull=False,
        ).values("contract_id", "recommend", "counts", *ATTRIBUTE_NAMES)
    }
    flagged: set[int] = set()
    windows: dict[int, datetime | None] = {}
    if what_if:
        flagged = set(
            ClientFeedbackFlag.objects.filter(
                client_id__in={row.client_id for row in rows}, cleared_at__isnull=True
            ).values_list("client_id", flat=True)
        )
        waiting = [
            row.pk for row in rows if row.state == ContractState.ENDED and row.pk not in feedback
        ]
        windows = {
            contract_id: None if revealed_at is not None else closes_at
            for contract_id, closes_at, revealed_at in FeedbackWindow.objects.filter(
                contract_id__in=waiting
            ).values_list("contract_id", "closes_at", "revealed_at")
        }
    clients_seen: set[int] = set()
    facts = []
    contracts = {}
    for row in rows:
        ended_at = row.ended_at if row.state == ContractState.ENDED else None
        closes_at = None
        if what_if and ended_at is not None and row.pk not in feedback:
            # Not opened yet (its `contract.ended` handler is on its way): it will close then.
            closes_at = windows.get(row.pk, window_closes_at(ended_at))
        facts.append(
            ContractFacts(
                contract_id=row.pk,
                client_id=row.client_id,
                started_at=row.started_at,
                ended_at=ended_at,
                earned_cents=values.get(row.pk, 0),
                is_repeat=row.client_id in clients_seen,
                feedback=feedback.get(row.pk),
                dispute_against=row.dispute_decision == DisputeDecision.AGAINST_FREELANCER,
                client_flagged=row.client_id in flagged,
                feedback_closes_at=closes_at,
            )
        )
        clients_seen.add(row.client_id)
        contracts[row.pk] = ContractInfo(
            contract_id=row.pk,
            title=row.title,
            client_id=row.client_id,
            client_name=row.client.display_name,
            started_at=row.started_at,
            ended_at=ended_at,
        )
    return JssInputs(facts=tuple(facts), contracts=contracts)


# --- the explanation -------------------------------------------------------------------------

BASIS_LABELS: dict[str, str] = {
    Basis.FEEDBACK: "Ended with the client's feedback",
    Basis.LONG_RUNNING: "Long-running, counted without feedback",
    Basis.REPEAT: "Repeat contract with this client, counted without feedback",
    Basis.RUNNING: "Still running: counts once it ends with feedback, or reaches 90 days",
    Basis.NO_FEEDBACK: "Ended without the client's feedback",
    Basis.FLAGGED_CLIENT: "The client's feedback does not count (flagged by staff)",
    Basis.ZERO_VALUE: "Paid nothing: a $0 contract counts only if negative",
    Basis.AGED_OUT: "Ended before every window: it no longer counts",
}


@dataclass(frozen=True)
class ContractLine:
    info: ContractInfo
    result: ContractResult
    what_if: WhatIf | None

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS[self.result.basis]

    @property
    def weight(self) -> Money:
        return Money(self.result.weight_cents)

    @property
    def windows_label(self) -> str:
        windows = self.result.windows
        return f"{', '.join(str(m) for m in windows)} months" if windows else "—"


@dataclass(frozen=True)
class Moved:
    """The latest change of the score and what it was made of, against the change before."""

    change: JssChange
    reason_label: str
    contract_title: str | None
    items: tuple[str, ...]


@dataclass(frozen=True)
class JssExplanation:
    freelancer_id: int
    now: datetime
    policy: Policy
    params: JssParams
    result: JssResult
    stored_score: int | None
    stored: bool
    counted: tuple[ContractLine, ...]
    not_counted: tuple[ContractLine, ...]
    awaiting_feedback: tuple[ContractLine, ...]  # with their what-if
    changes: tuple[JssChange, ...]  # the latest first
    moved: Moved | None
    chart: Chart

    @property
    def score(self) -> int | None:
        return self.result.score

    @property
    def contracts_missing(self) -> int:
        return max(0, self.result.minimum_contracts - self.result.counted_contracts)

    @property
    def clients_missing(self) -> int:
        return max(0, self.result.minimum_clients - self.result.counted_clients)

    @property
    def updating(self) -> bool:
        """The score shown on the profile waits for an update already on its way."""
        return self.stored and self.stored_score != self.result.score


def _weight(cents: Any) -> str:
    return str(Money(int(cents)))


def _windows_text(months: list[int] | tuple[int, ...]) -> str:
    names = [f"{m}-month" for m in months]
    if len(names) > 1:
        return f"the {', '.join(names[:-1])} and {names[-1]} windows"
    return f"the {names[0]} window" if names else "no window"


def moved_items(
    *,
    before: JssChange | None,
    after: JssChange,
    titles: dict[int, str],
) -> tuple[str, ...]:
    """What changed between two recorded states, in words: windows' scores, contracts that
    started or stopped counting, outcome classes, weights and windows."""
    items: list[str] = []
    old_windows = {w["months"]: w.get("score") for w in (before.windows if before else [])}
    for window in after.windows:
        old = old_windows.get(window["months"])
        new = window.get("score")
        if old != new:
            items.append(
                f"{window['months']}-month window: {percent_text(old)} → {percent_text(new)}."
            )
    old_counted = {c["contract_id"]: c for c in (before.counted if before else [])}
    new_counted = {c["contract_id"]: c for c in after.counted}

    def title(contract_id: int) -> str:
        return f"“{titles.get(contract_id, f'Contract {contract_id}')}”"

    for contract_id, new in sorted(new_counted.items()):
        old = old_counted.get(contract_id)
        if old is None:
            items.append(
                f"{title(contract_id)} now counts: {new['outcome']}, weight "
                f"{_weight(new['weight_cents'])}, in {_windows_text(new['windows'])}."
            )
            continue
        if old["outcome"] != new["outcome"]:
            items.append(f"{title(contract_id)}: {old['outcome']} → {new['outcome']}.")
        if old["weight_cents"] != new["weight_cents"]:
            items.append(
                f"{title(contract_id)}: weight {_weight(old['weight_cents'])} → "
                f"{_weight(new['weight_cents'])}."
            )
        left = [m for m in old["windows"] if m not in new["windows"]]
        if left:
            items.append(f"{title(contract_id)} left {_windows_text(left)}.")
    for contract_id in sorted(set(old_counted) - set(new_counted)):
        items.append(f"{title(contract_id)} no longer counts.")
    return tuple(items)


def jss_explanation(*, user: User, now: datetime) -> JssExplanation:
    """The explanation of `user`'s own score at `now`, computed by the same function the
    stored score comes from, under the policy in force."""
    version, params = jss_params_at(now)
    inputs = jss_inputs(freelancer_id=user.pk, what_if=True)
    result = jss_compute(inputs.facts, now=now, params=params)
    what_ifs = jss_what_ifs(inputs.facts, now=now, params=params)
    stored = JssScore.objects.filter(freelancer=user).first()
    lines = [
        ContractLine(
            inputs.contracts[outcome.contract_id], outcome, what_ifs.get(outcome.contract_id)
        )
        for outcome in result.contracts
    ]
    by_recent = sorted(
        lines,
        key=lambda line: (line.info.ended_at or now, line.info.contract_id),
        reverse=True,
    )
    history = list(
        JssChange.objects.filter(freelancer=user)
        .select_related("contract")
        .order_by("-at", "-id")[: HISTORY_SHOWN + 1]
    )
    moved = None
    if history:
        latest = history[0]
        before = history[1] if len(history) > 1 else None
        titles = {cid: info.title for cid, info in inputs.contracts.items()}
        moved = Moved(
            change=latest,
            reason_label=str(JssReason(latest.reason).label),
            contract_title=latest.contract.title if latest.contract else None,
            items=moved_items(before=before, after=latest, titles=titles),
        )
    points = list(
        JssChange.objects.filter(freelancer=user)
        .order_by("at", "id")
        .values_list("at", "new_score")
    )
    return JssExplanation(
        freelancer_id=user.pk,
        now=now,
        policy=version,
        params=params,
        result=result,
        stored_score=stored.score if stored else None,
        stored=stored is not None,
        counted=tuple(line for line in by_recent if line.result.counted),
        not_counted=tuple(line for line in by_recent if not line.result.counted),
        awaiting_feedback=tuple(line for line in by_recent if line.what_if is not None),
        changes=tuple(history[:HISTORY_SHOWN]),
        moved=moved,
        chart=score_chart(points, now=now),
    )


# --- badges ----------------------------------------------------------------------------------


def badge_params_at(when: datetime) -> tuple[Policy, BadgeParams]:
    """The badge rules of the JSS policy version in force at `when`, as plain numbers."""
    version = policy_version_at(PolicyKind.JSS, when)
    policy = parse_params(PolicyKind.JSS, version.params)
    assert isinstance(policy, JssPolicy)
    return version, BadgeParams.of(policy.badges)


@dataclass(frozen=True)
class JssBadgeFacts:
    """What the badges read of a score's computation: the contracts with a negative outcome
    and when the first contract started (None: no contract)."""

    negative_contracts: frozenset[int]
    first_contract_at: datetime | None


def jss_badge_facts(inputs: JssInputs, result: JssResult) -> JssBadgeFacts:
    return JssBadgeFacts(
        negative_contracts=frozenset(
            contract.contract_id
            for contract in result.contracts
            if contract.outcome == Outcome.NEGATIVE
        ),
        first_contract_at=min((facts.started_at for facts in inputs.facts), default=None),
    )


def _last_contract_ends(user_ids: list[int], since: datetime, now: datetime) -> dict[int, datetime]:
    """When each freelancer's latest contract ended, of those that ended between `since`
    and `now`."""
    found: dict[int, datetime] = {}
    for freelancer_id, ended_at in Contract.objects.filter(
        freelancer_id__in=user_ids,
        state=ContractState.ENDED,
        ended_at__gte=since,
        ended_at__lte=now,
    ).values_list("freelancer_id", "ended_at"):
        if ended_at is not None and (freelancer_id not in found or ended_at > found[freelancer_id]):
            found[freelancer_id] = ended_at
    return found


def badge_facts(
    *, user_ids: Sequence[int], now: datetime, params: BadgeParams, jss_params: JssParams
) -> dict[int, BadgeFacts]:
    """The badge facts of many freelancers at `now`, by user id (users who do not exist are
    left out). A fixed number of queries however many are asked (the daily run asks a
    thousand at a time): the stored score with its negative outcomes and first contract,
    the weekly snapshots in reach, what each contract paid in the earnings window, open
    holds, completeness, and the latest activity. Only a freelancer whose stored score
    counts a negative outcome (which contracts, for the large contract), or was stored
    before badges existed, has the score's computation read again: a few queries each."""
    ids = list(user_ids)
    users = list(
        User.objects.filter(pk__in=ids).values_list("pk", "verified_country", "last_login")
    )
    percents = profile_completeness_of_users(user_ids=ids)
    scores = {
        row[0]: row[1:]
        for row in JssScore.objects.filter(freelancer_id__in=ids).values_list(
            "freelancer_id", "score", "negative_outcomes", "first_contract_at"
        )
    }
    weeks = snapshot_weeks(now, params.top_rated_weeks)
    snapshots: dict[int, dict[date, int | None]] = {}
    for freelancer_id, week, score in JssSnapshot.objects.filter(
        freelancer_id__in=ids, week_start__gte=weeks[-1], week_start__lte=weeks[0]
    ).values_list("freelancer_id", "week_start", "score"):
        snapshots.setdefault(freelancer_id, {})[week] = score
    earnings = contract_values_since(
        freelancer_ids=ids, since=add_months(now, -params.earnings_months), until=now
    )
    held = set(
        AccountHold.objects.filter(user_id__in=ids, lifted_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    active_since = now - params.active
    proposals = dict(
        Proposal.objects.filter(
            freelancer_id__in=ids, created_at__gte=active_since, created_at__lte=now
        )
        .order_by()
        .values("freelancer_id")
        .annotate(last=Max("created_at"))
        .values_list("freelancer_id", "last")
    )
    running = set(
        Contract.objects.filter(freelancer_id__in=ids)
        .exclude(state=ContractState.ENDED)
        .values_list("freelancer_id", flat=True)
    )
    ended = _last_contract_ends(ids, active_since, now)
    # A dispute lost is a negative outcome even on a contract the score does not count
    # (ended without feedback), and Rising Talent asks for none at all.
    disputes_lost: dict[int, set[int]] = {}
    for freelancer_id, contract_id in Contract.objects.filter(
        freelancer_id__in=ids, dispute_decision=DisputeDecision.AGAINST_FREELANCER
    ).values_list("freelancer_id", "pk"):
        disputes_lost.setdefault(freelancer_id, set()).add(contract_id)
    found = {}
    for user_id, verified_country, last_login in users:
        score, negatives, first_contract_at = scores.get(user_id, (None, 0, None))
        negative_ids: frozenset[int] = frozenset()
        if user_id in scores and (negatives is None or negatives > 0):
            inputs = jss_inputs(freelancer_id=user_id)
            exact = jss_badge_facts(inputs, jss_compute(inputs.facts, now=now, params=jss_params))
            negative_ids, first_contract_at = exact.negative_contracts, exact.first_contract_at
            negatives = len(negative_ids)
        if user_id in disputes_lost:
            negative_ids = negative_ids | disputes_lost[user_id]
            negatives = len(negative_ids)
        moments = [
            moment
            for moment in (
                last_login,
                proposals.get(user_id),
                ended.get(user_id),
                now if user_id in running else None,
            )
            if moment is not None
        ]
        found[user_id] = BadgeFacts(
            jss=score,
            weekly_scores=snapshots.get(user_id, {}),
            first_hired_at=first_contract_at,
            contracts=tuple(
                ContractEarning(contract_id, cents, negative=contract_id in negative_ids)
                for contract_id, cents in sorted(earnings.get(user_id, {}).items())
                if cents > 0
            ),
            negative_outcomes=negatives or 0,
            profile_percent=percents.get(user_id, 0),
            location_verified=bool(verified_country),
            last_active_at=max(moments, default=None),
            on_hold=user_id in held,
        )
    return found


BADGE_SUMMARIES: dict[Badge, str] = {
    Badge.RISING_TALENT: "For promising freelancers new to Openlance, before they have a Job "
    "Success Score: a complete, verified profile, recent activity and nothing gone wrong.",
    Badge.TOP_RATED: "For freelancers with a consistently high Job Success Score over the last "
    "months, a track record of some age and steady earnings.",
    Badge.TOP_RATED_PLUS: "For Top Rated freelancers who also earn more and have delivered a "
    "large contract well.",
}


@dataclass(frozen=True)
class BadgeSection:
    result: BadgeResult
    summary: str
    shown: bool  # on the owner's profile now

    @property
    def progress_percent(self) -> int:
        return 100 * self.result.met_count // len(self.result.criteria)


@dataclass(frozen=True)
class BadgesExplanation:
    """The badges' criteria at `now`: for their owner (`result` computed from their facts,
    with the badges their profile shows and the history), or for anyone (`result` None:
    the criteria's names and required values only)."""

    now: datetime
    policy: Policy
    params: BadgeParams
    criteria: BadgesResult  # the owner's, or computed from no facts for the names
    owner: bool
    stored: tuple[Badge, ...]
    computed_at: datetime | None
    changes: tuple[BadgeChange, ...]
    rising_talent_grant: int

    @property
    def sections(self) -> list[BadgeSection]:
        return [
            BadgeSection(result, BADGE_SUMMARIES[result.badge], result.badge in self.stored)
            for result in self.criteria.badges
        ]

    @property
    def updating(self) -> bool:
        """The profile's badges wait for an update already on its way (or the daily run)."""
        return self.owner and set(self.stored) != set(self.criteria.held)

    @property
    def change_lines(self) -> list[tuple[BadgeChange, str, list[str]]]:
        """Each change with its badge's name and the names of the criteria it missed."""
        names = {
            criterion.key.value: criterion.name
            for badge in self.criteria.badges
            for criterion in badge.criteria
        }
        return [
            (
                change,
                str(Badge(change.badge).label),
                [names.get(key, key) for key in change.unmet],
            )
            for change in self.changes
        ]


def _explanation(
    *, now: datetime, facts: BadgeFacts | None, owner_id: int | None
) -> BadgesExplanation:
    version, params = badge_params_at(now)
    status = BadgeStatus.objects.filter(freelancer_id=owner_id).first() if owner_id else None
    changes = (
        tuple(BadgeChange.objects.filter(freelancer_id=owner_id)[:HISTORY_SHOWN])
        if owner_id
        else ()
    )
    return BadgesExplanation(
        now=now,
        policy=version,
        params=params,
        criteria=badges_compute(facts or BadgeFacts(), now=now, params=params),
        owner=owner_id is not None,
        stored=tuple(status.held) if status else (),
        computed_at=status.computed_at if status else None,
        changes=changes,
        rising_talent_grant=connects_policy_at(now).rising_talent_grant,
    )


def badges_explanation(*, user: User, now: datetime) -> BadgesExplanation:
    """`user`'s own badges at `now`: every criterion with their value, computed live by the
    same function the stored badges come from."""
    _, params = badge_params_at(now)
    _, jss_params = jss_params_at(now)
    facts = badge_facts(user_ids=[user.pk], now=now, params=params, jss_params=jss_params)
    return _explanation(now=now, facts=facts.get(user.pk, BadgeFacts()), owner_id=user.pk)


def badge_criteria(*, now: datetime) -> BadgesExplanation:
    """What each badge takes under the policy in force, for anyone."""
    return _explanation(now=now, facts=None, owner_id=None)
