"""Domain errors. Services raise them; the API turns them into problem+json, views into
form errors. Each carries a stable `code` so clients can branch without parsing text."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    title = "Bad request"
    code = "bad_request"

    def __init__(self, detail: str, *, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field_errors = field_errors or {}

    def as_problem(self) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": f"https://openlance.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.field_errors:
            problem["errors"] = [
                {"field": field, "message": message}
                for field, messages in self.field_errors.items()
                for message in messages
            ]
        return problem


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    code = "not_found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    code = "conflict"


class InsufficientFunds(Conflict):
    title = "Insufficient funds"
    code = "insufficient_funds"


class IdempotencyConflict(Conflict):
    title = "Idempotency key reused"
    code = "idempotency_conflict"


class PaymentDeclined(DomainError):
    status = 402
    title = "Payment declined"
    code = "payment_declined"


class InvalidTransition(Conflict):
    title = "Not allowed in this state"
    code = "invalid_transition"


MAX_ID = 2**63 - 1


def require_id(value: int, what: str = "object") -> int:
    """An id from a URL or a request that no row can have is a 404, not a database error."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"No such {what}.")
    return value
