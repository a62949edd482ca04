"""SPEC §11 counts a contract "ended with client feedback (public or private)": the client may
leave only the private part (why it ended, how likely to recommend). The public part (six
ratings and a text) is then absent, whole or not at all; the freelancer always leaves it.
Private-only feedback is no review and no rating, and the freelancer never reads it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from openlance.core import clock
from openlance.core.errors import InvalidInput
from openlance.core.services import outbox_drain
from openlance.reviews.models import ATTRIBUTE_NAMES, Feedback, FeedbackDirection
from openlance.reviews.selectors import (
    client_rating,
    contract_feedback,
    recent_reviews_received,
)
from openlance.reviews.services import feedback_submit
from openlance.reviews.tests.factories import ALL_FIVES, Api, ended_contract, feedback

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {*ATTRIBUTE_NAMES, "text"}


def private_only(contract, **private):
    return feedback_submit(
        user=contract.client,
        contract=contract,
        end_reason=private.get("end_reason", "hired_someone_else"),
        recommend=private.get("recommend", 8),
    )


def rows() -> list[tuple]:
    return list(Feedback.objects.order_by("pk").values_list())


# --- the service ---------------------------------------------------------------------------


def test_the_client_leaves_private_feedback_only():
    contract = ended_contract()
    mine = private_only(contract)
    mine.refresh_from_db()
    assert [getattr(mine, name) for name in ATTRIBUTE_NAMES] == [None] * 6
    assert (mine.overall_hundredths, mine.overall, mine.text) == (None, None, "")
    assert (mine.end_reason, mine.recommend) == ("hired_someone_else", 8)
    assert not mine.has_public
    assert mine.counts


def test_the_client_adds_or_drops_the_public_part_until_revealed():
    contract = ended_contract()
    first = private_only(contract)
    full = feedback(contract, by=contract.client, end_reason="completed", recommend=9)
    assert full.pk == first.pk
    assert full.overall_hundredths == 500
    again = private_only(contract, recommend=7)
    again.refresh_from_db()
    assert (again.pk, again.overall_hundredths, again.text, again.recommend) == (
        first.pk,
        None,
        "",
        7,
    )


def test_the_freelancer_always_leaves_the_public_part():
    contract = ended_contract()
    with pytest.raises(InvalidInput) as refused:
        feedback_submit(user=contract.freelancer, contract=contract)
    assert set(refused.value.field_errors) == PUBLIC_FIELDS
    assert rows() == []


def test_the_client_leaves_at_least_one_part():
    contract = ended_contract()
    with pytest.raises(InvalidInput) as refused:
        feedback_submit(user=contract.client, contract=contract, text="  ")
    assert set(refused.value.field_errors) == PUBLIC_FIELDS
    assert rows() == []


def test_a_public_part_sent_in_half_is_refused_even_with_the_private_part():
    contract = ended_contract()
    with pytest.raises(InvalidInput) as refused:
        feedback_submit(
            user=contract.client,
            contract=contract,
            skills=4,
            end_reason="completed",
            recommend=9,
        )
    assert set(refused.value.field_errors) == PUBLIC_FIELDS - {"skills"}
    with pytest.raises(InvalidInput) as refused:
        feedback_submit(
            user=contract.client,
            contract=contract,
            text="Only words.",
            end_reason="completed",
            recommend=9,
        )
    assert set(refused.value.field_errors) == set(ATTRIBUTE_NAMES)
    assert rows() == []


def test_both_submitted_reveals_with_private_only_feedback():
    contract = ended_contract()
    private_only(contract)
    feedback(contract, by=contract.freelancer, text="Clear brief.")
    assert Feedback.objects.filter(revealed_at__isnull=False).count() == 2


# --- the database holds the rule too --------------------------------------------------------


def _row(contract, direction, **fields):
    client_side = direction == FeedbackDirection.CLIENT_TO_FREELANCER
    values = {
        **ALL_FIVES,
        "overall_hundredths": 500,
        "text": "Fine.",
        "submitted_at": clock.now(),
        "updated_at": clock.now(),
        **fields,
    }
    with transaction.atomic():
        Feedback.objects.create(
            contract_id=contract.pk,
            direction=direction,
            author=contract.client if client_side else contract.freelancer,
            recipient=contract.freelancer if client_side else contract.client,
            **values,
        )


@pytest.mark.parametrize(
    ("direction", "fields"),
    [
        # Half a public part.
        (FeedbackDirection.CLIENT_TO_FREELANCER, {"skills": None}),
        (FeedbackDirection.CLIENT_TO_FREELANCER, {"text": ""}),
        (
            FeedbackDirection.CLIENT_TO_FREELANCER,
            {**dict.fromkeys(ATTRIBUTE_NAMES), "overall_hundredths": None},
        ),
        # Neither part.
        (
            FeedbackDirection.CLIENT_TO_FREELANCER,
            {**dict.fromkeys(ATTRIBUTE_NAMES), "overall_hundredths": None, "text": ""},
        ),
        # The freelancer's feedback without its public part.
        (
            FeedbackDirection.FREELANCER_TO_CLIENT,
            {**dict.fromkeys(ATTRIBUTE_NAMES), "overall_hundredths": None, "text": ""},
        ),
    ],
)
def test_the_database_refuses_a_public_part_in_half_or_no_part(direction, fields):
    contract = ended_contract()
    with pytest.raises(IntegrityError):
        _row(contract, direction, **fields)


def test_the_database_takes_private_feedback_only_from_the_client():
    contract = ended_contract()
    _row(
        contract,
        FeedbackDirection.CLIENT_TO_FREELANCER,
        **dict.fromkeys(ATTRIBUTE_NAMES),
        overall_hundredths=None,
        text="",
        end_reason="completed",
        recommend=9,
    )
    assert Feedback.objects.count() == 1


# --- who sees what ---------------------------------------------------------------------------


def test_private_only_feedback_is_no_review_and_never_the_freelancers_to_read():
    contract = ended_contract(paid_cents=20_000)
    private_only(contract, end_reason="quality_not_as_expected", recommend=2)
    feedback(contract, by=contract.freelancer, text="Prompt payer.", communication=3)
    as_freelancer = contract_feedback(user=contract.freelancer, contract=contract)
    theirs = as_freelancer.theirs
    assert theirs is not None
    assert (theirs.has_public, theirs.overall, theirs.ratings, theirs.text) == (
        False,
        None,
        (),
        "",
    )
    assert theirs.private is None
    as_client = contract_feedback(user=contract.client, contract=contract)
    assert as_client.mine is not None
    assert as_client.mine.private is not None
    assert as_client.mine.private.recommend == 2
    assert (
        recent_reviews_received(
            user=contract.freelancer, direction=FeedbackDirection.CLIENT_TO_FREELANCER
        )
        == []
    )
    # The client's rating is the freelancer's public feedback on the client, as before.
    assert client_rating(client=contract.client).rated_contracts == 1


def test_the_api_takes_and_shows_private_feedback_only():
    contract = ended_contract()
    url = f"/api/v1/contracts/{contract.pk}/feedback"
    as_client, as_freelancer = Api(contract.client), Api(contract.freelancer)
    mine = as_client.ok(
        as_client.put(url, {"private": {"end_reason": "completed", "recommend": 10}})
    )["mine"]
    assert {name: mine[name] for name in (*ATTRIBUTE_NAMES, "overall", "text")} == dict.fromkeys(
        (*ATTRIBUTE_NAMES, "overall", "text")
    )
    assert mine["private"]["recommend"] == 10
    refused = as_freelancer.put(url, {})
    assert refused.status_code == 422
    assert {error["field"] for error in refused.json()["errors"]} == PUBLIC_FIELDS
    half = as_client.put(url, {"skills": 5, "private": {"end_reason": "other", "recommend": 1}})
    assert half.status_code == 422
    done = as_freelancer.ok(as_freelancer.put(url, {**ALL_FIVES, "text": "Kind client."}))
    assert done["stage"] == "closed"
    assert (done["theirs"]["overall"], done["theirs"]["text"], done["theirs"]["private"]) == (
        None,
        None,
        None,
    )
    assert '"recommend"' not in as_freelancer.get(url).content.decode()
    reviews = Client().get(f"/api/v1/freelancers/{contract.freelancer_id}/reviews").json()
    assert reviews["count"] == 0


def test_the_pages_say_private_feedback_only(client):
    contract = ended_contract()
    page = reverse("contract_feedback", args=[contract.pk])
    client.force_login(contract.client)
    saved = client.post(page, {"end_reason": "completed", "recommend": "9"}, follow=True)
    body = saved.content.decode()
    assert "Your feedback is saved." in body
    assert "Private feedback only" in body
    assert "Job completed successfully" in body
    mine = Feedback.objects.get()
    assert (mine.overall_hundredths, mine.recommend) == (None, 9)
    client.force_login(contract.freelancer)
    client.post(page, {**ALL_FIVES, "text": "Kind client."})
    body = client.get(page).content.decode()
    assert "Private feedback only" in body
    assert "never shown to you" in body
    for secret in ("Job completed successfully", "completed", "of 10", "Would recommend"):
        assert secret not in body
    card = client.get(reverse("contract_feedback_card", args=[contract.pk])).content.decode()
    assert "left private feedback only" in card
    assert "rated you" not in card


def test_the_reveal_tells_the_freelancer_nothing_when_there_is_nothing_to_read():
    contract = ended_contract()
    private_only(contract)
    feedback(contract, by=contract.freelancer)
    mail.outbox.clear()
    outbox_drain(now=clock.now())
    revealed = [m for m in mail.outbox if "revealed" in m.subject]
    assert [m.to[0] for m in revealed] == [contract.client.email]


def test_going_back_past_the_optional_public_part_is_refused_while_private_only_feedback_exists():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("openlance.reviews.migrations.0003_feedback_public_part_optional")
    migration.refuse_private_only(apps, None)  # nothing private-only yet: going back may go on
    private_only(ended_contract())
    with pytest.raises(RuntimeError, match="1 feedback"):
        migration.refuse_private_only(apps, None)
