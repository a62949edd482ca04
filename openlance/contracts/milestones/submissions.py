"""Handing in work and asking for changes (SPEC §7.1): the freelancer submits it (or
submits it again after changes were requested) with a message, files and the acceptance
criteria met, which starts the client's 14 days to answer; the client sends it back with what
to change, which stops them."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from openlance.accounts.models import User
from openlance.contracts.common import (
    lock_contract,
    lock_milestone,
    require_party,
    require_running_fixed,
)
from openlance.contracts.milestones.states import AUTO_APPROVE_AFTER, is_funded, move_locked
from openlance.contracts.models import (
    MILESTONE_TRANSITIONS,
    Milestone,
    MilestoneState,
    Submission,
    SubmissionFile,
)
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition
from openlance.core.services import event_emit
from openlance.core.uploads import MEGABYTE, Document, checked_attachment

MAX_SUBMISSION_FILES = 10
MAX_SUBMISSION_FILE_BYTES = 25 * MEGABYTE
MAX_MESSAGE = 5000


def _checked_files(files: Sequence[UploadedFile]) -> list[Document]:
    if len(files) > MAX_SUBMISSION_FILES:
        raise InvalidInput(
            f"A submission has at most {MAX_SUBMISSION_FILES} files.",
            field_errors={"files": [f"At most {MAX_SUBMISSION_FILES} files."]},
        )
    return [
        checked_attachment(upload, field="files", max_bytes=MAX_SUBMISSION_FILE_BYTES)
        for upload in files
    ]


def _message(text: str, field: str = "message") -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write a message.", field_errors={field: ["Required."]})
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(
            f"The message is longer than {MAX_MESSAGE} characters.",
            field_errors={field: [f"At most {MAX_MESSAGE} characters."]},
        )
    return text


def milestone_submit(
    *,
    freelancer: User,
    milestone: Milestone,
    message: str,
    files: Sequence[UploadedFile] = (),
    criteria_met: Sequence[int] = (),
    acknowledge_unfunded: bool = False,
) -> Submission:
    """The freelancer hands in the work (or, from "changes requested", hands it in again).

    Work on an unfunded milestone is not protected (SPEC §7.1): it is accepted only when the
    freelancer acknowledged that, and the submission records whether it was funded. The
    client has 14 days to answer before the milestone approves itself.
    """
    return _submit(
        freelancer=freelancer,
        milestone=milestone,
        message=message,
        files=files,
        criteria_met=criteria_met,
        acknowledge_unfunded=acknowledge_unfunded,
        resubmission_only=False,
    )


def _submit(
    *,
    freelancer: User,
    milestone: Milestone,
    message: str,
    files: Sequence[UploadedFile],
    criteria_met: Sequence[int],
    acknowledge_unfunded: bool,
    resubmission_only: bool,
) -> Submission:
    contract = milestone.contract
    require_party(contract, freelancer, "freelancer")
    require_running_fixed(contract)
    text = _message(message)
    known = set(milestone.criteria.values_list("pk", flat=True))
    ticked = sorted({int(pk) for pk in criteria_met})
    if not set(ticked) <= known:
        raise InvalidInput(
            "Tick only this milestone's acceptance criteria.",
            field_errors={"criteria_met": ["Unknown criterion."]},
        )
    cleaned = _checked_files(files)
    with transaction.atomic():
        require_running_fixed(lock_contract(contract))
        locked = lock_milestone(milestone)
        if resubmission_only and locked.state != MilestoneState.CHANGES_REQUESTED:
            raise InvalidTransition("Only a milestone with changes requested is resubmitted.")
        if MilestoneState.SUBMITTED not in MILESTONE_TRANSITIONS[locked.state]:
            raise InvalidTransition(
                f"Work cannot be submitted on a milestone that is "
                f"{locked.get_state_display().lower()}."
            )
        funded = is_funded(locked)
        if not funded and not acknowledge_unfunded:
            raise Conflict(
                "This milestone is not funded: work on it is not protected. Confirm that you "
                "understand before submitting.",
                field_errors={"acknowledge_unfunded": ["Confirm to submit unfunded work."]},
            )
        now = clock.now()
        submission = Submission.objects.create(
            milestone=locked,
            message=text,
            criteria_met=ticked,
            was_funded=funded,
            created_at=now,
        )
        for document in cleaned:
            row = SubmissionFile(
                submission=submission,
                name=document.name[:200],
                size_bytes=document.size,
                content_type=document.content_type,
            )
            row.file.save(
                f"milestone-{locked.pk}-{document.content.name}", document.content, save=False
            )
            row.save()
        resubmitted = locked.state == MilestoneState.CHANGES_REQUESTED
        move_locked(
            locked,
            MilestoneState.SUBMITTED,
            emit=False,
            submitted_at=now,
            auto_approve_at=now + AUTO_APPROVE_AFTER,
            auto_approve_warned_at=None,
        )
        event_emit(
            kind="milestone.submitted",
            payload={
                "milestone_id": locked.pk,
                "contract_id": locked.contract_id,
                "submission_id": submission.pk,
                "resubmitted": resubmitted,
                "was_funded": funded,
            },
        )
    return submission


def milestone_resubmit(
    *,
    freelancer: User,
    milestone: Milestone,
    message: str,
    files: Sequence[UploadedFile] = (),
    criteria_met: Sequence[int] = (),
    acknowledge_unfunded: bool = False,
) -> Submission:
    """Submit again after the client asked for changes."""
    return _submit(
        freelancer=freelancer,
        milestone=milestone,
        message=message,
        files=files,
        criteria_met=criteria_met,
        acknowledge_unfunded=acknowledge_unfunded,
        resubmission_only=True,
    )


def milestone_request_changes(*, client: User, milestone: Milestone, message: str) -> Milestone:
    """The client sends the work back with what to change; the 14-day clock stops."""
    contract = milestone.contract
    require_party(contract, client, "client")
    require_running_fixed(contract)
    text = _message(message)
    with transaction.atomic():
        require_running_fixed(lock_contract(contract))
        locked = lock_milestone(milestone)
        if locked.state != MilestoneState.SUBMITTED:
            raise InvalidTransition(
                f"Changes can be requested only on submitted work; this milestone is "
                f"{locked.get_state_display().lower()}."
            )
        latest = locked.submissions.order_by("-created_at", "-id").first()
        now = clock.now()
        if latest is not None:
            latest.changes_requested_at = now
            latest.changes_message = text
            latest.save(update_fields=["changes_requested_at", "changes_message"])
        move_locked(
            locked,
            MilestoneState.CHANGES_REQUESTED,
            auto_approve_at=None,
            auto_approve_warned_at=None,
        )
    return locked
