from datetime import datetime

from openlance.core.commands import RunDueCommand
from openlance.reputation.services import jss_ageing_run_due, jss_policy_run_due


class Command(RunDueCommand):
    help = (
        "Run the Job Success Score rules of SPEC §11 and §17 by hand: recompute the scores "
        "a new JSS policy version changes, and those time has changed (a contract left a "
        "window or became long-running). Safe to repeat."
    )

    def run_due(self, now: datetime) -> str:
        policy = jss_policy_run_due(now=now)
        ageing = jss_ageing_run_due(now=now)
        return (
            f"{policy} score(s) recomputed under the policy in force, "
            f"{ageing} for contracts ageing or reaching 90 days."
        )
