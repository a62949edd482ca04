"""Staff flag a client who repeatedly gives unfounded poor feedback (SPEC §10): mediators
only, audited, reversible; the feedback stays visible but stops counting, and an event
tells the Job Success Score which freelancers to recompute."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from openlance.accounts.models import AuditLogEntry
from openlance.accounts.selectors import has_staff_role, is_mediator, is_verifier
from openlance.accounts.tests.factories import UserFactory
from openlance.core.errors import Conflict, InvalidInput
from openlance.core.models import OutboxEvent
from openlance.jobs.tests.factories import job_client
from openlance.reviews.models import ClientFeedbackFlag, Feedback, FeedbackDirection
from openlance.reviews.selectors import client_rating, recent_reviews_received
from openlance.reviews.services import client_feedback_flag, client_feedback_unflag
from openlance.reviews.tests.factories import ended_contract, feedback

pytestmark = pytest.mark.django_db


def staff(group: str | None) -> object:
    user = UserFactory(is_staff=True, email=f"{group or 'nobody'}@staff.example".lower())
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def mediator():
    return staff("Mediator")


@pytest.fixture
def harsh_client():
    """A client who gave two freelancers poor feedback, and was rated by one of them."""
    client = job_client()
    contracts = [ended_contract(client=client) for _ in range(2)]
    for contract in contracts:
        feedback(
            contract,
            by=client,
            text="Terrible.",
            skills=1,
            quality=1,
            recommend=0,
            end_reason="quality_not_as_expected",
        )
    feedback(contracts[0], by=contracts[0].freelancer, text="Fine client.")
    return client, contracts


def test_a_mediator_flags_a_client_audited_and_their_feedback_stops_counting(
    mediator, harsh_client
):
    client, contracts = harsh_client
    flag = client_feedback_flag(staff=mediator, client=client, reason="Unfounded, twice.")
    assert flag.is_open
    given = Feedback.objects.filter(author=client)
    assert given.count() == 2
    assert not given.filter(counts=True).exists()
    # The freelancer's feedback about that client is not the client's: it still counts.
    assert Feedback.objects.get(author=contracts[0].freelancer).counts is True
    entry = AuditLogEntry.objects.get(action="client.feedback_flagged")
    assert (entry.actor, entry.target_type, entry.target_id) == (mediator, "User", str(client.pk))
    assert entry.detail["reason"] == "Unfounded, twice."
    event = OutboxEvent.objects.get(kind="client.feedback_flagged")
    assert event.payload == {
        "client_id": client.pk,
        "flag_id": flag.pk,
        "counts": False,
        "freelancer_ids": sorted(c.freelancer_id for c in contracts),
    }
    # Still visible on the freelancer's profile, marked as not counting.
    reviews = recent_reviews_received(
        user=contracts[0].freelancer, direction=FeedbackDirection.CLIENT_TO_FREELANCER
    )
    assert [(r.text, r.counts) for r in reviews] == [("Terrible.", False)]


def test_feedback_a_flagged_client_gives_later_does_not_count(mediator):
    client = job_client()
    client_feedback_flag(staff=mediator, client=client, reason="Pattern of abuse.")
    contract = ended_contract(client=client)
    assert feedback(contract, by=client).counts is False
    assert feedback(contract, by=contract.freelancer).counts is True


def test_clearing_the_flag_makes_it_count_again(mediator, harsh_client):
    client, _contracts = harsh_client
    client_feedback_flag(staff=mediator, client=client, reason="Unfounded.")
    flag = client_feedback_unflag(staff=mediator, client=client, reason="Appeal upheld.")
    assert not flag.is_open
    assert (flag.cleared_by, flag.clear_reason) == (mediator, "Appeal upheld.")
    assert not Feedback.objects.filter(author=client, counts=False).exists()
    assert AuditLogEntry.objects.filter(action="client.feedback_unflagged").count() == 1
    event = OutboxEvent.objects.get(kind="client.feedback_unflagged")
    assert event.payload["counts"] is True
    # Flagged again later: a new flag, the history kept.
    client_feedback_flag(staff=mediator, client=client, reason="Again.")
    assert ClientFeedbackFlag.objects.filter(client=client).count() == 2


def test_only_mediators_flag_and_refusals_change_nothing(mediator, harsh_client):
    client, _ = harsh_client
    for someone in (staff("Support"), staff("Verifier"), staff(None), job_client()):
        with pytest.raises(PermissionDenied):
            client_feedback_flag(staff=someone, client=client, reason="No.")
    with pytest.raises(InvalidInput):
        client_feedback_flag(staff=mediator, client=client, reason="  ")
    with pytest.raises(Conflict):
        client_feedback_unflag(staff=mediator, client=client, reason="Not flagged.")
    assert not ClientFeedbackFlag.objects.exists()
    assert not AuditLogEntry.objects.exists()
    assert not Feedback.objects.filter(counts=False).exists()
    client_feedback_flag(staff=mediator, client=client, reason="Once.")
    with pytest.raises(Conflict, match="already flagged"):
        client_feedback_flag(staff=mediator, client=client, reason="Twice.")
    assert ClientFeedbackFlag.objects.count() == 1


def test_a_flag_does_not_touch_the_client_rating_freelancers_give(mediator, harsh_client):
    client, _ = harsh_client
    before = client_rating(client=client)
    client_feedback_flag(staff=mediator, client=client, reason="Unfounded.")
    assert client_rating(client=client) == before


def test_the_console_action_flags_with_a_reason_then_clears(client, mediator, harsh_client):
    harsh, _ = harsh_client
    client.force_login(mediator)
    rows = list(Feedback.objects.filter(author=harsh).values_list("pk", flat=True))
    url = reverse("admin:reviews_feedback_changelist")
    page = client.post(url, {"action": "flag_clients", "_selected_action": rows})
    assert page.status_code == 200
    assert "Reason" in page.content.decode()
    assert not ClientFeedbackFlag.objects.exists()
    done = client.post(
        url,
        {"action": "flag_clients", "_selected_action": rows, "apply": "1", "reason": "Abuse."},
    )
    assert done.status_code == 302
    flag = ClientFeedbackFlag.objects.get(client=harsh)
    assert flag.flagged_by == mediator
    flags = reverse("admin:reviews_clientfeedbackflag_changelist")
    assert client.get(flags).status_code == 200
    client.post(
        flags,
        {"action": "clear_flags", "_selected_action": [flag.pk], "apply": "1", "reason": "Ok."},
    )
    flag.refresh_from_db()
    assert not flag.is_open


def test_the_console_offers_the_action_to_mediators_only(client, harsh_client):
    client.force_login(staff("Support"))
    page = client.get(reverse("admin:reviews_feedback_changelist"))
    assert page.status_code == 200
    assert "flag_clients" not in page.content.decode()
    client.force_login(staff("Mediator"))
    assert (
        "flag_clients" in client.get(reverse("admin:reviews_feedback_changelist")).content.decode()
    )


def test_the_reason_page_lists_the_clients_and_posts_back_the_selected_feedback(
    client, mediator, harsh_client
):
    harsh, _ = harsh_client
    client.force_login(mediator)
    rows = list(Feedback.objects.filter(author=harsh).values_list("pk", flat=True))
    url = reverse("admin:reviews_feedback_changelist")
    page = client.post(url, {"action": "flag_clients", "_selected_action": rows})
    assert "admin/accounts/reason_form.html" in {t.name for t in page.templates}
    body = page.content.decode()
    assert "stays visible but no longer counts" in body  # the action's own intro
    assert body.count(f"<li>{harsh}</li>") == 1  # each client once, for two rows
    for pk in rows:
        assert f'name="_selected_action" value="{pk}"' in body
    assert 'maxlength="2000"' in body
    assert "Kept with the flag and in the audit log." in body
    too_long = client.post(
        url,
        {"action": "flag_clients", "_selected_action": rows, "apply": "1", "reason": "x" * 2001},
    )
    assert too_long.status_code == 200
    assert not ClientFeedbackFlag.objects.exists()


def test_staff_roles_are_one_rule_for_every_group(mediator):
    verifier = staff("Verifier")
    assert is_mediator(user=mediator)
    assert not is_verifier(user=mediator)
    assert is_verifier(user=verifier)
    assert not is_mediator(user=verifier)
    assert has_staff_role(user=mediator, group="Mediator")
    superuser = UserFactory(is_staff=True, is_superuser=True, email="root@staff.example")
    assert is_mediator(user=superuser)
    assert is_verifier(user=superuser)
    mediator.is_staff = False
    assert not is_mediator(user=mediator)
    mediator.is_staff, mediator.is_active = True, False
    assert not is_mediator(user=mediator)
