"""How fast one person may send messages, from the pages or the API (SPEC §1)."""

from __future__ import annotations

from openlance.core.ratelimits import Limit

MESSAGES = Limit(
    group="messages.send",
    rate="60/10m",
    message="You are sending messages too quickly. Wait a few minutes and send again.",
)
