"""How fast one freelancer may send proposals, from the pages or the API (SPEC §1)."""

from __future__ import annotations

from openlance.core.ratelimits import Limit

PROPOSALS = Limit(
    group="proposals.send",
    rate="30/h",
    message="You are sending proposals too quickly. Wait a while and send again.",
)
