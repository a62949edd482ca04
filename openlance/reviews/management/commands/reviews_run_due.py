from datetime import datetime

from openlance.core.commands import RunDueCommand
from openlance.reviews.services import feedback_reveal_run_due


class Command(RunDueCommand):
    help = (
        "Run the feedback rule of SPEC §17 by hand: reveal the feedback of every contract "
        "whose 14-day window has closed, whatever was submitted. Safe to repeat."
    )

    def run_due(self, now: datetime) -> str:
        revealed = feedback_reveal_run_due(now=now)
        return f"{revealed} feedback window(s) closed and revealed."
