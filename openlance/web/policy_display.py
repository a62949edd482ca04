# ruff: noqa: RUF001 -- prose for people: typographic dashes and the times sign are intended.
"""Policy parameters in words, for the public policies page. Each kind's schema becomes a
list of (rule, explanation) rows so a user reads "20% of the first $500.00", not JSON."""

from __future__ import annotations

from pydantic import BaseModel

from openlance.core.money import Money
from openlance.core.policies import (
    BadgeRules,
    ConnectsPlan,
    ConnectsPolicy,
    FeePolicy,
    FlatProposalCost,
    FlatSchedule,
    JssPolicy,
    PerContractSchedule,
    SlidingSchedule,
)

Row = tuple[str, list[str]]


def percent(basis_points: int) -> str:
    whole, frac = divmod(basis_points, 100)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%"


def _money(cents: int) -> str:
    return str(Money(cents))


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _freelancer_fee_lines(policy: FeePolicy) -> list[str]:
    schedule = policy.freelancer_fee
    if isinstance(schedule, FlatSchedule):
        return [f"{percent(schedule.rate_bp)} of every payment"]
    if isinstance(schedule, PerContractSchedule):
        return [f"{percent(schedule.rate_bp)}, fixed on each contract when its proposal is sent"]
    assert isinstance(schedule, SlidingSchedule)
    lines, lower = [], 0
    for tier in schedule.tiers:
        rate = percent(tier.rate_bp)
        if tier.up_to_cents is None:
            lines.append(f"{rate} of lifetime billings above {_money(lower)}")
        elif lower == 0:
            lines.append(f"{rate} of the first {_money(tier.up_to_cents)}")
        else:
            lines.append(f"{rate} from {_money(lower + 1)} to {_money(tier.up_to_cents)}")
        lower = tier.up_to_cents or lower
    lines.append("Billings count per freelancer–client pair, across all their contracts.")
    return lines


def _fee_rows(policy: FeePolicy) -> list[Row]:
    return [
        ("Freelancer service fee", _freelancer_fee_lines(policy)),
        (
            "Client marketplace fee",
            [f"{percent(policy.client_marketplace_fee_bp)} of each payment"],
        ),
        (
            "Contract initiation fee",
            [
                f"{_money(policy.contract_initiation_fee_cents)} with the first payment of a new "
                "contract, refunded if nothing is ever released"
            ],
        ),
        (
            "Running contracts repriced on change",
            [_yes_no(policy.reprice_running_contracts)],
        ),
    ]


def _plan(plan: ConnectsPlan) -> list[str]:
    price = "Free" if plan.price_cents == 0 else f"{_money(plan.price_cents)} a month"
    if not plan.rollover:
        rollover = "unused Connects do not roll over"
    elif plan.rollover_cap is None:
        rollover = "unused Connects roll over"
    else:
        rollover = f"unused Connects roll over up to {plan.rollover_cap}"
    return [f"{price}, {plan.monthly_grant} Connects a month; {rollover}"]


def _connects_rows(policy: ConnectsPolicy) -> list[Row]:
    cost = policy.proposal_cost
    if isinstance(cost, FlatProposalCost):
        cost_lines = [f"{cost.connects} Connects per proposal"]
    else:
        cost_lines = [
            f"{tier.connects} Connects for jobs worth less than {_money(tier.below_cents)}"
            for tier in cost.tiers
        ] + [f"{cost.otherwise} Connects otherwise"]
    hours = policy.hours_by_duration
    return [
        ("Basic plan", _plan(policy.basic_plan)),
        ("Plus plan", _plan(policy.plus_plan)),
        (
            "Buying Connects",
            [
                f"{_money(policy.connect_price_cents)} each, in bundles of "
                + ", ".join(str(size) for size in policy.bundles)
            ],
        ),
        ("Welcome grant", [f"{policy.welcome_grant} Connects on sign-up"]),
        ("Rising Talent grant", [f"{policy.rising_talent_grant} Connects"]),
        ("Proposal cost", cost_lines),
        (
            "Expected value of an hourly job",
            [
                "Middle of the rate range × hours by duration: "
                f"under 1 month {hours.less_than_1_month} h, 1–3 months {hours.one_to_3_months} h, "
                f"3–6 months {hours.three_to_6_months} h, over 6 months "
                f"{hours.more_than_6_months} h"
            ],
        ),
        (
            "Refund when a job expires without a hire",
            [_yes_no(policy.refund_on_expiry_without_hire)],
        ),
        ("Connects expire", [f"{policy.expiry_days} days after grant or purchase"]),
    ]


def _jss_rows(policy: JssPolicy) -> list[Row]:
    windows = ", ".join(f"{months}" for months in policy.windows_months)
    return [
        (
            "Contract weight",
            [
                f"By billings, counted between {_money(policy.weight_min_cents)} "
                f"and {_money(policy.weight_max_cents)}"
            ],
        ),
        ("Windows", [f"The score shown is the best of the last {windows} months"]),
        (
            "Minimum history",
            [f"{policy.minimum_contracts} contracts with {policy.minimum_clients} clients"],
        ),
        (
            "Long-running contracts",
            [f"Count while active from {policy.long_running_days} days on"],
        ),
        (
            "Negative outcome",
            [
                f"Recommend score {policy.negative_recommend_at_most} or lower, public rating "
                f"below {policy.negative_public_below}, or a dispute lost"
            ],
        ),
        (
            "Positive outcome",
            [
                f"Not negative, and recommend score {policy.positive_recommend_at_least} or "
                f"higher (or, without private feedback, public rating "
                f"{policy.positive_public_at_least} or higher)"
            ],
        ),
        (
            "Negative penalty",
            [f"{policy.negative_penalty} × the weight of negative outcomes is subtracted"],
        ),
        *_badge_rows(policy.badges),
    ]


def _badge_rows(rules: BadgeRules) -> list[Row]:
    months = rules.earnings_months
    return [
        (
            "Rising Talent badge",
            [
                "No score yet, profile 100% complete, location verified, active in the last "
                f"{rules.active_days} days, no negative outcome"
            ],
        ),
        (
            "Top Rated badge",
            [
                f"Score {rules.top_rated_min_jss}% or more now and in "
                f"{rules.top_rated_weeks_needed} of the last {rules.top_rated_weeks} weekly "
                f"snapshots, first hired more than {rules.first_hire_days} days ago, "
                f"{_money(rules.top_rated_earnings_cents)} earned in {months} months, "
                "profile 100% complete, no account hold"
            ],
        ),
        (
            "Top Rated Plus badge",
            [
                f"Top Rated, {_money(rules.top_rated_plus_earnings_cents)} earned in {months} "
                f"months, one contract of {_money(rules.large_contract_cents)} or more in them "
                "without a negative outcome"
            ],
        ),
    ]


def describe(params: BaseModel) -> list[Row]:
    if isinstance(params, FeePolicy):
        return _fee_rows(params)
    if isinstance(params, ConnectsPolicy):
        return _connects_rows(params)
    if isinstance(params, JssPolicy):
        return _jss_rows(params)
    return [
        (name.replace("_", " ").capitalize(), [str(value)])
        for name, value in params.model_dump().items()
    ]
