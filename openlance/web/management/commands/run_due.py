"""manage.py run_due [--now ISO] [--only RULE ...]: every time-driven rule of SPEC §17 (or the
ones named) as of `--now`, in the scheduler's order, printing what each did. Safe to repeat:
each rule is idempotent. The per-app commands (jobs_run_due, payouts_run_due, ...) remain as
shortcuts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandParser

from openlance.core.commands import RunDueCommand
from openlance.web.rules import RULE_NAMES, rules_run_due


def _said(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in result.items())
    return str(result)


class Command(RunDueCommand):
    help = "Run every time-driven rule (SPEC §17) as of --now, in the scheduler's order."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--only",
            action="append",
            choices=RULE_NAMES,
            metavar="RULE",
            help=f"Run only this rule (repeatable): {', '.join(RULE_NAMES)}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.only = set(options["only"] or ())
        super().handle(*args, **options)

    def run_due(self, now: datetime) -> str:
        lines = [f"As of {now.isoformat()}:"]
        for rule, result in rules_run_due(now=now, only=self.only):
            lines.append(f"  {rule.name:<24} {_said(result)}  ({rule.when})")
        return "\n".join(lines)
