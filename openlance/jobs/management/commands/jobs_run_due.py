from datetime import datetime

from openlance.core.commands import RunDueCommand
from openlance.jobs.services import job_expiry_run_due


class Command(RunDueCommand):
    help = (
        "Run the job post rules of SPEC §17 by hand: open posts without client activity for "
        "25 days get their expiry warning, those without it for 30 days expire. Safe to repeat."
    )

    def run_due(self, now: datetime) -> str:
        done = job_expiry_run_due(now=now)
        return f"{done['warned']} post(s) warned of expiry, {done['expired']} post(s) expired."
