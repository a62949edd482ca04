"""Gateways with a scripted answer, for card payments' retry rules."""

from __future__ import annotations

from openlance.billing.gateway import ChargeResult, ChargeStatus
from openlance.core.money import Money


class DeclinesFirst:
    """A card that is declined once and then goes through; like a real gateway, a key
    seen before gets its first answer again."""

    name = "sandbox"

    def __init__(self) -> None:
        self.answers: dict[str, ChargeResult] = {}

    def charge(
        self, *, amount: Money, payment_method: str, idempotency_key: str, description: str
    ) -> ChargeResult:
        if idempotency_key not in self.answers:
            declined = not self.answers
            self.answers[idempotency_key] = ChargeResult(
                reference=f"ch_{len(self.answers)}",
                status=ChargeStatus.DECLINED if declined else ChargeStatus.SUCCEEDED,
                amount=amount,
                decline_reason="insufficient_funds" if declined else "",
            )
        return self.answers[idempotency_key]
