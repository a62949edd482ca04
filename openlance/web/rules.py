"""Every time-driven rule of SPEC §17, in the order one pass of the scheduler runs them, for
`manage.py run_due`. Each is an idempotent function of the stored state and `now` that its
own app's `tasks.py` also schedules; the order lets one pass see the effects of the rules
before it (an invoice issued, then a review closed, then the money released, then paid
out). It lives in web, the top layer, because it names rules of every app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openlance.billing.connects import connects_plans_run_due
from openlance.billing.payouts import (
    earnings_release_run_due,
    payout_status_sync_due,
    scheduled_withdrawals_run_due,
)
from openlance.billing.services import card_charges_reconcile_run_due
from openlance.connects.services import connects_expiry_run_due
from openlance.contracts.hourly.services import (
    hourly_invoice_run_due,
    hourly_review_close_run_due,
    timesheet_reminders_run_due,
)
from openlance.contracts.milestones.release import milestone_auto_approve_run_due
from openlance.contracts.offers.services import offer_expiry_run_due
from openlance.contracts.payments.refunds import refund_requests_lapse_run_due
from openlance.core.services import idempotency_purge_due
from openlance.disputes.services import disputes_run_due
from openlance.jobs.services import job_expiry_run_due
from openlance.profiles.services import freelancer_auto_private_run_due
from openlance.reputation.services import (
    badges_run_due,
    jss_ageing_run_due,
    jss_policy_run_due,
    jss_snapshots_run_due,
)
from openlance.reviews.services import feedback_reveal_run_due


@dataclass(frozen=True)
class Rule:
    name: str
    when: str  # as SPEC §17 states it
    run: Callable[..., Any]


RULES: tuple[Rule, ...] = (
    Rule("connects-plans", "each plan's monthly date", connects_plans_run_due),
    Rule("connects-expiry", "1 year after grant or purchase", connects_expiry_run_due),
    Rule("job-expiry", "day 25 warning, day 30 expiry", job_expiry_run_due),
    Rule("offer-expiry", "30 days after sending", offer_expiry_run_due),
    Rule(
        "milestone-auto-approval", "14 days after each submission", milestone_auto_approve_run_due
    ),
    Rule(
        "timesheet-reminders",
        "Sunday 12:00 UTC, the day before a week locks",
        timesheet_reminders_run_due,
    ),
    Rule("hourly-invoices", "Monday 12:00 UTC", hourly_invoice_run_due),
    Rule("hourly-review-close", "Friday 23:59 UTC", hourly_review_close_run_due),
    Rule("refund-requests", "7 days to answer a refund request", refund_requests_lapse_run_due),
    Rule(
        "disputes",
        "5 business days to respond, 30 days of mediation",
        disputes_run_due,
    ),
    Rule(
        "earnings-release",
        "5 days after payment; hourly: the Wednesday after review",
        earnings_release_run_due,
    ),
    Rule(
        "scheduled-withdrawals",
        "per schedule; held over 180 days regardless",
        scheduled_withdrawals_run_due,
    ),
    Rule("payout-status", "every 10 minutes", payout_status_sync_due),
    Rule("card-charges-reconcile", "every 10 minutes", card_charges_reconcile_run_due),
    Rule("feedback-reveal", "14 days after contract end", feedback_reveal_run_due),
    Rule("jss-policy", "when a new jss policy takes effect", jss_policy_run_due),
    Rule("jss-ageing", "daily", jss_ageing_run_due),
    Rule("jss-snapshots", "weekly", jss_snapshots_run_due),
    Rule("badges", "daily", badges_run_due),
    Rule(
        "profile-auto-private",
        "90 days / 2 years without earnings",
        freelancer_auto_private_run_due,
    ),
    Rule("idempotency-purge", "hourly: keys kept at least 24 hours", idempotency_purge_due),
)
RULE_NAMES = tuple(rule.name for rule in RULES)


def rules_run_due(*, now: datetime, only: set[str] | None = None) -> list[tuple[Rule, Any]]:
    """Run the rules (all, or those named in `only`) in order as of `now`; what each
    returned, for printing."""
    return [(rule, rule.run(now=now)) for rule in RULES if not only or rule.name in only]
