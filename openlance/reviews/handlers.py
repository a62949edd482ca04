"""Reactions delivered by the outbox worker: a contract's end opens its feedback window and
invites both sides; the first feedback of one side nudges the other; the reveal tells each
side that feedback about them can be read. No email carries any feedback itself (and so
never the client's private part): each links to the contract's feedback page."""

from __future__ import annotations

from django.urls import reverse

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.services import event_handler
from openlance.reviews.models import CONTRACT_ENDED, Feedback, FeedbackWindow
from openlance.reviews.selectors import ReviewedContract, contract_by_id
from openlance.reviews.services import feedback_window_open


def _contract(event: OutboxEvent) -> ReviewedContract | None:
    contract_id = event.payload.get("contract_id")
    return contract_by_id(contract_id=int(contract_id)) if contract_id else None


def _mail(to: User, subject: str, body: str, contract: ReviewedContract) -> None:
    if not to.is_active:
        return
    notify(
        to,
        topic=NotificationTopic.FEEDBACK,
        subject=subject,
        body=body,
        link_label="Open the feedback page",
        path=reverse("contract_feedback", args=[contract.pk]),
    )


def _deadline(window: FeedbackWindow) -> str:
    return f"{window.closes_at:%B %-d, %Y at %H:%M} UTC"


BLIND = (
    "Feedback is double-blind: neither of you sees the other's until you have both left "
    "yours or the window closes, and it cannot be changed once revealed."
)


@event_handler("contract.ended")
def open_window_and_invite_both(event: OutboxEvent) -> None:
    contract = _contract(event)
    if contract is None or contract.state != CONTRACT_ENDED:
        return
    window = feedback_window_open(contract=contract)
    if window.revealed_by(clock.now()):
        return
    for to, other in (
        (contract.client, contract.freelancer),
        (contract.freelancer, contract.client),
    ):
        _mail(
            to,
            f"Leave feedback on “{contract.title}”",
            f"Your contract “{contract.title}” with {other.display_name} has ended. You have "
            f"until {_deadline(window)} to leave feedback on working together. {BLIND}",
            contract,
        )


@event_handler("feedback.submitted")
def nudge_the_other_side(event: OutboxEvent) -> None:
    """Only on a first submission, and only while the other side can still answer."""
    if not event.payload.get("first"):
        return
    contract = _contract(event)
    window = FeedbackWindow.objects.filter(contract_id=event.payload.get("contract_id")).first()
    # Revealed also covers "the other side has submitted too": the submission that makes
    # two reveals both at once, under the window's lock.
    if contract is None or window is None or window.revealed_by(clock.now()):
        return
    author_id = event.payload.get("author_id")
    author, other = (
        (contract.client, contract.freelancer)
        if author_id == contract.client_id
        else (contract.freelancer, contract.client)
    )
    _mail(
        other,
        f"{author.public_name} left feedback on “{contract.title}”",
        f"{author.public_name} left feedback on your contract “{contract.title}”. Leave yours "
        f"by {_deadline(window)}. {BLIND}",
        contract,
    )


@event_handler("feedback.revealed")
def tell_each_side_about_feedback_received(event: OutboxEvent) -> None:
    """Each side whose feedback received has a public part (a client's private feedback
    only is never shown to the freelancer, so there is nothing to tell them of)."""
    contract = _contract(event)
    if contract is None:
        return
    received = Feedback.objects.filter(contract_id=contract.pk).select_related(
        "author", "recipient"
    )
    for feedback in received:
        if not feedback.has_public:
            continue  # the client's private feedback only: nothing its recipient can read
        _mail(
            feedback.recipient,
            f"Feedback on “{contract.title}” is revealed",
            f"{feedback.author.public_name}'s feedback on your contract “{contract.title}” "
            "can now be read. Revealed feedback is final and shows on your profile.",
            contract,
        )
