"""Idempotency-Key for API POSTs (RFC draft "The Idempotency-Key HTTP Header Field").

The same key with the same request replays the first response; the same key with a
different request, or while the first is still running, is a 409. Records live in the
database so a retry that reaches another process behaves the same.

"The same request" is the same method, path and body, where a JSON body is compared by
what it says, not how it is spelled: a client that serializes its retry with the keys in
another order or other whitespace sends the same request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from openlance.core import clock
from openlance.core.models import IdempotencyRecord
from openlance.core.problems import problem_response, refused_request_problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Far longer than any request may run (the server times out well before).
ABANDONED_AFTER = timedelta(minutes=5)
# The API POSTs whose services key every write on the request (card charges, transfers,
# payouts by this key; a milestone's funding and release by the milestone), so running one
# again after its process died cannot do anything twice. Any other POST left in progress
# stays a 409: it may have committed (a message, a post) before the process died.
RERUN_SAFE_PATHS = re.compile(
    r"^/api/v1/(wallet/deposits|payouts|connects/purchases|milestones/\d+/(fund|approve))$"
)


def _scope(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "auth:" + hashlib.sha256(authorization.encode()).hexdigest()
    return "anonymous:" + (request.META.get("REMOTE_ADDR") or "")


def _canonical_body(body: bytes) -> bytes:
    """A JSON body as canonical JSON (keys sorted, no spaces), parsed as the API parses it
    (json.loads), so two bodies with one canonical form are one request to the API too.
    Anything else (a multipart upload, a body that is not JSON) stays as sent."""
    try:
        data = json.loads(body)
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    # Not JSON, not text, or nested too deep for the parser: compared byte for byte.
    except (ValueError, RecursionError):
        return body


def _digest(request: HttpRequest, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _request_hashes(request: HttpRequest) -> tuple[str, str]:
    """The fingerprint stored for a request (over its canonical body) and the one over its
    bytes as sent. A stored record matches a request when it holds either: records written
    before bodies were made canonical hold the second, and equal bytes are always the same
    request."""
    body = request.body
    canonical = _canonical_body(body)
    stored = _digest(request, canonical)
    return stored, stored if canonical == body else _digest(request, body)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return problem_response(
                status=400,
                title="Invalid Idempotency-Key",
                detail=f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.",
                code="invalid_idempotency_key",
            )
        scope = _scope(request)
        try:
            request_hash, bytes_hash = _request_hashes(request)
        except RequestDataTooBig as exc:
            return refused_request_problem(exc)
        same_request = {request_hash, bytes_hash}
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope, key=key, request_hash=request_hash, created_at=clock.now()
                )
        except IntegrityError:
            claimed = None
            if RERUN_SAFE_PATHS.match(request.path):
                claimed = self._claim_abandoned(scope, key, same_request)
            if claimed is None:
                return self._replay(scope, key, same_request)
            record = claimed

        response = self.get_response(request)
        # A response that must not be stored (a token's secret, shown once) is not kept
        # either: a retry with the same key runs again instead of replaying it.
        no_store = "no-store" in response.get("Cache-Control", "")
        if response.status_code >= 500 or response.streaming or no_store:
            record.delete()
            return response
        record.status_code = response.status_code
        record.response_body = response.content
        record.content_type = response.get("Content-Type", "")
        record.save(update_fields=["status_code", "response_body", "content_type"])
        return response

    def _claim_abandoned(
        self, scope: str, key: str, same_request: set[str]
    ) -> IdempotencyRecord | None:
        """A record still in progress long after any request could have finished belongs to
        a process that died before saving the response. The request runs again (only on
        RERUN_SAFE_PATHS, whose services key their own writes, so what the dead process did
        is not done twice). The update claims it for one retry only."""
        now = clock.now()
        claimed = IdempotencyRecord.objects.filter(
            scope=scope,
            key=key,
            request_hash__in=same_request,
            status_code__isnull=True,
            created_at__lt=now - ABANDONED_AFTER,
        ).update(created_at=now)
        if not claimed:
            return None
        return IdempotencyRecord.objects.filter(scope=scope, key=key).first()

    def _replay(self, scope: str, key: str, same_request: set[str]) -> HttpResponse:
        record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is None:
            return problem_response(
                status=409,
                title="Idempotency key in flux",
                detail="The request with this key just finished failing; retry it.",
                code="idempotency_retry",
            )
        if record.request_hash not in same_request:
            return problem_response(
                status=409,
                title="Idempotency key reused",
                detail=f"This {HEADER} was already used with a different request.",
                code="idempotency_conflict",
            )
        if record.status_code is None:
            return problem_response(
                status=409,
                title="Request in progress",
                detail=f"A request with this {HEADER} is still being processed.",
                code="idempotency_in_progress",
            )
        response = HttpResponse(
            bytes(record.response_body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
