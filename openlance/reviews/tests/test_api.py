"""The feedback API: each party's view of a contract's feedback, leaving and editing one's
own, statuses as problem+json (404 strangers, 409 closed or revealed, 422 bad input with
nothing changed), the private part never to the freelancer, and profiles' reviews."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from openlance.core import clock
from openlance.jobs.tests.factories import job_client
from openlance.profiles.models import Freelancer, Visibility
from openlance.proposals.tests.factories import funded_freelancer
from openlance.reviews.models import Feedback
from openlance.reviews.tests.factories import (
    ALL_FIVES,
    Api,
    ended_contract,
    feedback,
    running_contract,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("assert_ledger_sound")]

PRIVATE = {"end_reason": "quality_not_as_expected", "recommend": 4}


def body(**changes):
    return {**ALL_FIVES, "text": "Solid work, on time.", **changes}


def url(contract) -> str:
    return f"/api/v1/contracts/{contract.pk}/feedback"


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def rows():
    return list(Feedback.objects.order_by("pk").values_list())


def test_both_sides_leave_feedback_blind_until_both_have():
    contract = ended_contract()
    as_client, as_freelancer = Api(contract.client), Api(contract.freelancer)
    empty = as_client.ok(as_client.get(url(contract)))
    assert empty["stage"] == "open"
    assert empty["role"] == "client"
    assert empty["can_edit"] is True
    assert (empty["mine"], empty["theirs"], empty["theirs_submitted"]) == (None, None, False)

    mine = as_client.ok(as_client.put(url(contract), body(quality=4, private=PRIVATE)))
    assert mine["mine"]["overall"] == "4.83"
    assert mine["mine"]["private"] == {
        "end_reason": "quality_not_as_expected",
        "end_reason_label": "Quality was not as expected",
        "recommend": 4,
    }
    assert mine["theirs"] is None

    waiting = as_freelancer.ok(as_freelancer.get(url(contract)))
    assert waiting["role"] == "freelancer"
    assert (waiting["mine"], waiting["theirs"], waiting["theirs_submitted"]) == (None, None, True)

    done = as_freelancer.ok(as_freelancer.put(url(contract), body(text="Clear brief.")))
    assert done["stage"] == "closed"
    assert done["can_edit"] is False
    assert done["theirs"]["overall"] == "4.83"
    assert done["theirs"]["private"] is None
    assert done["mine"]["private"] is None
    client_view = as_client.ok(as_client.get(url(contract)))
    assert client_view["theirs"]["text"] == "Clear brief."
    assert client_view["mine"]["private"]["recommend"] == 4


def test_the_freelancer_never_gets_the_private_part():
    contract = ended_contract()
    feedback(contract, by=contract.client, **PRIVATE)
    as_freelancer = Api(contract.freelancer)
    for moment in (clock.now(), contract.ended_at + timedelta(days=14)):
        with clock.frozen_at(moment):
            raw = as_freelancer.get(url(contract)).content.decode()
        assert "quality_not_as_expected" not in raw
        assert "Quality was not as expected" not in raw
        assert '"recommend"' not in raw
    assert json.loads(raw)["theirs"]["private"] is None
    reviews = Client().get(f"/api/v1/freelancers/{contract.freelancer_id}/reviews")
    assert reviews.status_code == 200
    assert reviews.json()["count"] == 0  # revealed by the clock, not yet recorded by the task


def test_editing_until_revealed_then_409():
    contract = ended_contract()
    as_client = Api(contract.client)
    as_client.ok(as_client.put(url(contract), body(text="First.")))
    edited = as_client.ok(as_client.put(url(contract), body(text="Second.", skills=3)))
    assert edited["mine"]["text"] == "Second."
    assert edited["mine"]["skills"] == 3
    feedback(contract, by=contract.freelancer)
    before = rows()
    problem = assert_problem(as_client.put(url(contract), body(text="Third.")), 409)
    assert "revealed" in problem["detail"]
    assert rows() == before


def test_a_closed_window_and_a_running_contract_are_409():
    contract = ended_contract()
    as_client = Api(contract.client)
    with clock.frozen_at(contract.ended_at + timedelta(days=14)):
        assert_problem(as_client.put(url(contract), body()), 409)
    running = running_contract()
    as_running = Api(running.client)
    assert as_running.ok(as_running.get(url(running)))["stage"] == "not_open"
    assert_problem(as_running.put(url(running), body()), 409)
    assert rows() == []


def test_strangers_get_a_404_whatever_the_body():
    contract = ended_contract()
    feedback(contract, by=contract.client)
    stranger = Api(job_client())
    assert_problem(stranger.get(url(contract)), 404)
    for sent in (body(), {"skills": "many"}, "not json"):
        response = stranger.client.put(
            url(contract),
            sent if isinstance(sent, str) else json.dumps(sent),
            content_type="application/json",
            headers=stranger.headers,
        )
        assert_problem(response, 404)
    assert_problem(stranger.get("/api/v1/contracts/987654321/feedback"), 404)
    assert_problem(Client().get(url(contract)), 401)


@pytest.mark.parametrize(
    "bad",
    [
        body(skills=0),
        body(quality=6),
        body(availability=True),
        body(deadlines="5"),
        body(text=""),
        body(text="x" * 5001),
        body(private={"end_reason": "bored", "recommend": 5}),
        body(private={"end_reason": "completed", "recommend": 11}),
        body(private={"end_reason": "completed"}),
        body(colour="blue"),
        {k: v for k, v in body().items() if k != "cooperation"},
    ],
)
def test_bad_input_is_a_422_that_changes_nothing(bad):
    contract = ended_contract()
    as_client = Api(contract.client)
    as_client.ok(as_client.put(url(contract), body(text="Kept.")))
    before = rows()
    problem = assert_problem(as_client.put(url(contract), bad), 422)
    assert problem["errors"]
    assert rows() == before


def test_a_freelancer_sending_private_feedback_gets_a_422():
    contract = ended_contract()
    as_freelancer = Api(contract.freelancer)
    problem = assert_problem(
        as_freelancer.put(url(contract), body(private={"end_reason": "other", "recommend": 9})),
        422,
    )
    assert [e["field"] for e in problem["errors"]] == ["private"]
    assert rows() == []


def test_profiles_list_revealed_public_reviews_and_the_client_rating():
    client = job_client()
    freelancer = funded_freelancer()
    contract = ended_contract(client=client, freelancer=freelancer, paid_cents=20_000)
    feedback(contract, by=client, text="Great.", **PRIVATE)
    feedback(contract, by=freelancer, text="Prompt payer.", communication=2)
    anonymous = Client()
    reviews = anonymous.get(f"/api/v1/freelancers/{freelancer.pk}/reviews").json()
    assert reviews["count"] == 1
    (item,) = reviews["items"]
    assert item["text"] == "Great."
    assert item["contract_title"] == contract.title
    assert item["overall"] == "5.00"
    assert item["author_id"] == client.pk
    assert "private" not in item
    assert "recommend" not in item
    assert "end_reason" not in item
    theirs = anonymous.get(f"/api/v1/clients/{client.pk}/reviews").json()
    assert [i["text"] for i in theirs["items"]] == ["Prompt payer."]
    # The client's rating is among their vetting signals (no endpoint of its own).
    signals = anonymous.get(f"/api/v1/clients/{client.pk}").json()
    assert (signals["rating"], signals["rated_contracts"]) == ("4.50", 1)
    assert [review["text"] for review in signals["reviews"]] == ["Prompt payer."]
    assert anonymous.get(f"/api/v1/clients/{client.pk}/rating").status_code == 404
    assert anonymous.get(f"/api/v1/clients/{freelancer.pk}/reviews").status_code == 404
    assert anonymous.get(f"/api/v1/freelancers/{client.pk}/reviews").status_code == 404
    assert anonymous.get("/api/v1/freelancers/1/reviews?page=0").status_code in (404, 422)


def test_a_private_profile_keeps_its_reviews_to_itself():
    contract = ended_contract()
    feedback(contract, by=contract.client)
    feedback(contract, by=contract.freelancer)
    path = f"/api/v1/freelancers/{contract.freelancer_id}/reviews"
    Freelancer.objects.filter(user=contract.freelancer).update(visibility=Visibility.MEMBERS)
    assert_problem(Client().get(path), 404)
    assert Api(job_client()).ok(Api(job_client()).get(path))["count"] == 1
    Freelancer.objects.filter(user=contract.freelancer).update(visibility=Visibility.PRIVATE)
    assert_problem(Api(job_client()).get(path), 404)
    assert_problem(Api(job_client()).get(f"{path}?page_size=500"), 404)
    assert Api(contract.freelancer).ok(Api(contract.freelancer).get(path))["count"] == 1
