from datetime import datetime

from openlance.core.commands import RunDueCommand
from openlance.reputation.services import jss_backfill


class Command(RunDueCommand):
    help = (
        "Compute, once, the Job Success Score of every freelancer whose contracts predate the "
        "score (SPEC §11): those with contracts and no score yet. Run it by hand after the "
        "reputation app is first deployed; later contracts are scored by their events. "
        "Reads every contract, so no periodic task runs it. Safe to repeat."
    )

    def run_due(self, now: datetime) -> str:
        return f"{jss_backfill(now=now)} score(s) computed for the first time."
