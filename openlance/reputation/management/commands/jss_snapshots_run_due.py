from datetime import datetime

from openlance.core.commands import RunDueCommand
from openlance.reputation.services import jss_snapshots_run_due


class Command(RunDueCommand):
    help = (
        "Keep this week's snapshot of every Job Success Score (SPEC §12: Top Rated needs 90% "
        "in 13 of the last 16 weekly snapshots), under the week's Monday (UTC). The scheduler "
        "runs it every Monday just after 00:00 UTC. Safe to repeat."
    )

    def run_due(self, now: datetime) -> str:
        return f"{jss_snapshots_run_due(now=now)} snapshot(s) taken."
