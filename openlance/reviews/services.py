"""Writes of the feedback feature (SPEC §10): opening a contract's window, submitting and
editing feedback until it is revealed, the reveal (at once when both sides have submitted,
else when the window closes: `feedback_reveal_run_due`), and staff flags on clients whose
feedback no longer counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from openlance.accounts.models import User
from openlance.accounts.selectors import is_mediator
from openlance.accounts.services import audit_record
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, NotFound
from openlance.core.services import event_emit
from openlance.reviews.models import (
    ATTRIBUTE_NAMES,
    CONTRACT_ENDED,
    MAX_TEXT,
    RATING_MAX,
    RATING_MIN,
    RECOMMEND_MAX,
    RECOMMEND_MIN,
    ClientFeedbackFlag,
    EndReason,
    Feedback,
    FeedbackDirection,
    FeedbackWindow,
    RevealReason,
    overall_hundredths,
    window_closes_at,
)
from openlance.reviews.selectors import ReviewedContract, direction_of

MAX_FLAG_REASON = 2000


def _require_ended(contract: ReviewedContract) -> datetime:
    if contract.state != CONTRACT_ENDED or contract.ended_at is None:
        raise Conflict("Feedback opens when the contract ends.")
    return contract.ended_at


def _window(contract: ReviewedContract, *, lock: bool) -> FeedbackWindow:
    ended_at = _require_ended(contract)
    windows = FeedbackWindow.objects.select_for_update() if lock else FeedbackWindow.objects
    window, _ = windows.get_or_create(
        contract_id=contract.pk,
        defaults={
            "opens_at": ended_at,
            "closes_at": window_closes_at(ended_at),
            "created_at": clock.now(),
        },
    )
    return window


def feedback_window_open(*, contract: ReviewedContract) -> FeedbackWindow:
    """The feedback window of an ended contract, opened on first use: by the
    `contract.ended` handler, or by the first feedback if that comes first. Calling it
    again returns the same window."""
    return _window(contract, lock=False)


def _closed(window_closes: datetime) -> Conflict:
    return Conflict(
        f"The feedback window closed on {window_closes:%B %-d, %Y at %H:%M} UTC; "
        "feedback can no longer be left or changed."
    )


REVEALED = "Feedback on this contract is revealed and can no longer be changed."


@dataclass(frozen=True)
class _Cleaned:
    ratings: dict[str, int] | None  # None: no public part
    text: str
    end_reason: str
    recommend: int | None


def _clean_public(
    ratings: Mapping[str, object], text: str, errors: dict[str, list[str]]
) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for name in ATTRIBUTE_NAMES:
        value = ratings.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not RATING_MIN <= value <= RATING_MAX
        ):
            errors[name] = [f"Rate from {RATING_MIN} to {RATING_MAX} stars."]
        else:
            cleaned[name] = value
    if "\x00" in text:
        errors["text"] = ["Text may not contain NUL characters."]
    elif not text:
        errors["text"] = ["Say a few words about working together."]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"At most {MAX_TEXT:,} characters."]
    return cleaned


def _clean(
    *,
    direction: str,
    ratings: Mapping[str, object],
    text: str | None,
    end_reason: str,
    recommend: object,
) -> _Cleaned:
    """Every field at once, so a 422 lists all that is wrong. The public part (six ratings
    and a text) is whole or absent; the private part (why it ended, how likely to
    recommend) is the client's only, whole or absent; the client may leave either or both
    (SPEC §11: "client feedback (public or private)"), the freelancer the public part."""
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    end_reason = end_reason or ""
    private_given = bool(end_reason) or recommend is not None
    public_given = bool(text) or any(ratings.get(name) is not None for name in ATTRIBUTE_NAMES)
    is_client = direction == FeedbackDirection.CLIENT_TO_FREELANCER
    cleaned: dict[str, int] | None = None
    if public_given or not (is_client and private_given):
        cleaned = _clean_public(ratings, text, errors)
    if private_given and not is_client:
        errors["private"] = ["Only the client leaves private feedback."]
    elif private_given:
        if end_reason not in EndReason.values:
            errors["end_reason"] = ["Choose why the contract ended."]
        if (
            isinstance(recommend, bool)
            or not isinstance(recommend, int)
            or not RECOMMEND_MIN <= recommend <= RECOMMEND_MAX
        ):
            errors["recommend"] = [
                f"Choose from {RECOMMEND_MIN} (not at all likely) to {RECOMMEND_MAX} "
                "(extremely likely)."
            ]
    if errors:
        raise InvalidInput("The feedback is not complete.", field_errors=errors)
    return _Cleaned(
        ratings=cleaned,
        text=text if cleaned is not None else "",
        end_reason=end_reason if private_given else "",
        recommend=recommend if private_given and isinstance(recommend, int) else None,
    )


def _client_flagged(user: User) -> bool:
    """Read under the author's row lock, which `client_feedback_flag` takes too: a flag
    and a first submission never pass each other, so no new feedback of a flagged client
    keeps counting."""
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    return ClientFeedbackFlag.objects.filter(client=user, cleared_at__isnull=True).exists()


def feedback_submit(
    *,
    user: User,
    contract: ReviewedContract,
    skills: int | None = None,
    quality: int | None = None,
    availability: int | None = None,
    deadlines: int | None = None,
    communication: int | None = None,
    cooperation: int | None = None,
    text: str | None = None,
    end_reason: str = "",
    recommend: int | None = None,
) -> Feedback:
    """Leave or edit one's feedback on an ended contract, within its window and until it is
    revealed. When both sides have submitted it is revealed at once. The public part (the
    six ratings and `text`) is whole or absent; `end_reason` and `recommend` are the
    client's private feedback (both or neither). The client leaves either part or both, the
    freelancer the public part. A stranger to the contract gets a 404, bad input a 422, a
    running contract or a closed or revealed window a 409."""
    direction = direction_of(user=user, contract=contract)
    if direction is None:
        raise NotFound("There is no such contract.")
    cleaned = _clean(
        direction=direction,
        ratings={
            "skills": skills,
            "quality": quality,
            "availability": availability,
            "deadlines": deadlines,
            "communication": communication,
            "cooperation": cooperation,
        },
        text=text,
        end_reason=end_reason,
        recommend=recommend,
    )
    with transaction.atomic():
        # Opened here if the `contract.ended` handler has not yet, and locked either way:
        # the submissions of both sides and the reveal take their turns on this row.
        window = _window(contract, lock=True)
        now = clock.now()
        if window.revealed_at is not None:
            raise Conflict(REVEALED)
        if now >= window.closes_at:
            raise _closed(window.closes_at)
        is_client = direction == FeedbackDirection.CLIENT_TO_FREELANCER
        recipient_id = contract.freelancer_id if is_client else contract.client_id
        ratings = cleaned.ratings
        fields: dict[str, Any] = {
            **{name: ratings[name] if ratings is not None else None for name in ATTRIBUTE_NAMES},
            "overall_hundredths": (
                overall_hundredths(sum(ratings.values())) if ratings is not None else None
            ),
            "text": cleaned.text,
            "end_reason": cleaned.end_reason,
            "recommend": cleaned.recommend,
            "counts": not (is_client and _client_flagged(user)),
            "updated_at": now,
        }
        given = {row.direction: row for row in Feedback.objects.filter(contract_id=contract.pk)}
        feedback = given.get(direction)
        first = feedback is None
        if feedback is None:
            feedback = Feedback.objects.create(
                contract_id=contract.pk,
                direction=direction,
                author=user,
                recipient_id=recipient_id,
                submitted_at=now,
                **fields,
            )
            given[direction] = feedback
        else:
            for name, value in fields.items():
                setattr(feedback, name, value)
            feedback.save(update_fields=list(fields))
        event_emit(
            kind="feedback.submitted",
            payload={
                "contract_id": contract.pk,
                "feedback_id": feedback.pk,
                "direction": direction,
                "author_id": user.pk,
                "recipient_id": recipient_id,
                "first": first,
            },
        )
        if len(given) == len(FeedbackDirection.values):
            _reveal(
                window,
                contract=contract,
                directions=list(given),
                at=now,
                reason=RevealReason.BOTH_SUBMITTED,
            )
            feedback.revealed_at = now
    return feedback


def _reveal(
    window: FeedbackWindow,
    *,
    contract: ReviewedContract,
    directions: list[str],
    at: datetime,
    reason: str,
) -> None:
    """Record the reveal of a locked window and of its feedback (`directions`: the sides
    that left theirs), and tell the listeners (the Job Success Score recomputes from it)."""
    window.revealed_at = at
    window.reveal_reason = reason
    window.save(update_fields=["revealed_at", "reveal_reason"])
    Feedback.objects.filter(contract_id=window.contract_id).update(revealed_at=at)
    event_emit(
        kind="feedback.revealed",
        payload={
            "contract_id": window.contract_id,
            "freelancer_id": contract.freelancer_id,
            "client_id": contract.client_id,
            "reason": reason,
            "directions": sorted(directions),
        },
    )


def feedback_reveal_run_due(*, now: datetime) -> int:
    """Reveal every window whose deadline has passed (SPEC §17: `FEEDBACK_WINDOW` after the
    contract ended), whatever was submitted. A window's reveal is recorded at its deadline,
    the moment the rule made it visible, however late this runs. Safe to run twice: a
    revealed window is not revealed again."""
    due = FeedbackWindow.objects.filter(revealed_at__isnull=True, closes_at__lte=now)
    revealed = 0
    for window_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            window = (
                due.select_for_update(of=("self",))
                .select_related("contract")
                .filter(pk=window_id)
                .first()
            )
            if window is None:
                continue
            _reveal(
                window,
                contract=window.contract,
                directions=list(
                    Feedback.objects.filter(contract_id=window.contract_id).values_list(
                        "direction", flat=True
                    )
                ),
                at=window.closes_at,
                reason=RevealReason.WINDOW_CLOSED,
            )
            revealed += 1
    return revealed


# --- staff flags ---------------------------------------------------------------------------


def _require_mediator(staff: User) -> None:
    if not is_mediator(user=staff):
        raise PermissionDenied("Only mediators flag clients' feedback.")


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason or "\x00" in reason or len(reason) > MAX_FLAG_REASON:
        raise InvalidInput(
            "Give the reason, for the record.",
            field_errors={field: [f"Required, at most {MAX_FLAG_REASON:,} characters."]},
        )
    return reason


def _count_clients_feedback(client: User, *, counts: bool) -> list[int]:
    """Set whether the client's feedback about freelancers counts; the freelancers whose
    scores that changes."""
    given = Feedback.objects.filter(author=client, direction=FeedbackDirection.CLIENT_TO_FREELANCER)
    given.update(counts=counts)
    return sorted(set(given.values_list("recipient_id", flat=True)))


def client_feedback_flag(*, staff: User, client: User, reason: str) -> ClientFeedbackFlag:
    """A mediator finds that `client` repeatedly gives unfounded poor feedback: from now on
    (and for the feedback they gave before) it stays visible but does not count. Audited,
    and undone by `client_feedback_unflag`."""
    _require_mediator(staff)
    reason = _reason(reason)
    if client.pk == staff.pk:
        raise Conflict("Staff do not flag themselves.")
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=client.pk).first()
        if _client_flagged(client):
            raise Conflict(f"{client.email} is already flagged.")
        now = clock.now()
        flag = ClientFeedbackFlag.objects.create(
            client=client, reason=reason, flagged_by=staff, flagged_at=now
        )
        freelancers = _count_clients_feedback(client, counts=False)
        audit_record(
            actor=staff,
            action="client.feedback_flagged",
            target=client,
            detail={"flag_id": flag.pk, "client": client.email, "reason": reason},
        )
        event_emit(
            kind="client.feedback_flagged",
            payload={
                "client_id": client.pk,
                "flag_id": flag.pk,
                "counts": False,
                "freelancer_ids": freelancers,
            },
        )
    return flag


def client_feedback_unflag(*, staff: User, client: User, reason: str) -> ClientFeedbackFlag:
    """Clear a client's open flag: their feedback counts again. Audited."""
    _require_mediator(staff)
    reason = _reason(reason)
    with transaction.atomic():
        flag = (
            ClientFeedbackFlag.objects.select_for_update()
            .filter(client=client, cleared_at__isnull=True)
            .first()
        )
        if flag is None:
            raise Conflict(f"{client.email} is not flagged.")
        flag.cleared_at = clock.now()
        flag.cleared_by = staff
        flag.clear_reason = reason
        flag.save(update_fields=["cleared_at", "cleared_by", "clear_reason"])
        freelancers = _count_clients_feedback(client, counts=True)
        audit_record(
            actor=staff,
            action="client.feedback_unflagged",
            target=client,
            detail={"flag_id": flag.pk, "client": client.email, "reason": reason},
        )
        event_emit(
            kind="client.feedback_unflagged",
            payload={
                "client_id": client.pk,
                "flag_id": flag.pk,
                "counts": True,
                "freelancer_ids": freelancers,
            },
        )
    return flag
