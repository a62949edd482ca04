from datetime import datetime

from openlance.core.commands import RunDueCommand
from openlance.reputation.services import badges_run_due


class Command(RunDueCommand):
    help = (
        "Recompute every freelancer's badges (SPEC §12: Rising Talent, Top Rated, Top Rated "
        "Plus) from their stored facts, as the daily task does; badges earned or lost are "
        "recorded with the reason, and Rising Talent's Connects are granted once. Safe to "
        "repeat."
    )

    def run_due(self, now: datetime) -> str:
        return f"{badges_run_due(now=now)} freelancer(s) earned or lost a badge."
