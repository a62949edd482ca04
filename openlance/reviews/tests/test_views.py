"""The feedback page and the contract room's card: the two parties only, the deadline, the
form with errors in place (htmx and plain), editing until revealed, the other side's
feedback after, and the client's private part never on the freelancer's pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from openlance.catalog.forms import SkillsField
from openlance.core import clock
from openlance.jobs.tests.factories import job_client
from openlance.reviews.forms import FeedbackForm
from openlance.reviews.models import FEEDBACK_WINDOW, Feedback
from openlance.reviews.tests.factories import ALL_FIVES, ended_contract, feedback, running_contract

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def page(contract) -> str:
    return reverse("contract_feedback", args=[contract.pk])


def card(contract) -> str:
    return reverse("contract_feedback_card", args=[contract.pk])


def form(**changes) -> dict:
    return {**ALL_FIVES, "text": "Lovely to work with.", **changes}


def test_only_the_two_parties_see_the_page_and_the_card(client):
    contract = ended_contract()
    assert client.get(page(contract)).status_code == 302  # to the sign-in page
    client.force_login(job_client())
    assert client.get(page(contract)).status_code == 404
    assert client.get(card(contract)).status_code == 404
    assert client.post(page(contract), form()).status_code == 404
    assert client.get(reverse("contract_feedback", args=[987654321])).status_code == 404
    assert not Feedback.objects.exists()
    for party in (contract.client, contract.freelancer):
        client.force_login(party)
        assert client.get(page(contract)).status_code == 200
        assert client.get(card(contract)).status_code == 200


def test_the_client_leaves_feedback_with_its_private_part_and_edits_it(client):
    contract = ended_contract()
    client.force_login(contract.client)
    body = client.get(page(contract)).content.decode()
    deadline = contract.ended_at + timedelta(days=14)
    assert f"{deadline:%b} {deadline.day}, {deadline:%Y}" in body
    assert "Why did the contract end?" in body
    assert "Submit feedback" in body
    saved = client.post(page(contract), form(end_reason="completed", recommend="10"), follow=True)
    assert "Your feedback is saved." in saved.content.decode()
    mine = Feedback.objects.get()
    assert (mine.recommend, mine.end_reason, mine.author) == (10, "completed", contract.client)
    body = saved.content.decode()
    assert "Job completed successfully" in body  # the client sees their own private part
    assert "Waiting for" in body
    assert "Edit your feedback" in body
    client.post(page(contract), form(text="Even better.", end_reason="completed", recommend="9"))
    mine.refresh_from_db()
    assert (mine.text, mine.recommend) == ("Even better.", 9)


def test_errors_show_in_place_and_change_nothing(client):
    contract = ended_contract()
    client.force_login(contract.client)
    refused = client.post(page(contract), form(skills="", text="", recommend="7"))
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "Rate from 1 to 5 stars." in body
    # The client's public part is optional (private feedback alone will do), so a public
    # part sent in half is judged by the service, which names each missing field.
    assert "Say a few words about working together." in body
    assert not Feedback.objects.exists()
    partial = client.post(page(contract), form(recommend="7"), headers=HTMX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert 'id="feedback-main"' in body
    assert "<html" not in body
    assert "Choose why the contract ended." in body
    assert not Feedback.objects.exists()
    saved = client.post(page(contract), form(), headers=HTMX)
    assert "Your feedback is saved." in saved.content.decode()
    assert Feedback.objects.count() == 1


def test_the_freelancer_never_sees_the_private_part(client):
    contract = ended_contract()
    feedback(
        contract,
        by=contract.client,
        text="Mixed.",
        end_reason="quality_not_as_expected",
        recommend=3,
    )
    client.force_login(contract.freelancer)
    waiting = client.get(page(contract)).content.decode()
    assert "has left their feedback" in waiting
    assert "Why did the contract end?" not in waiting  # no private fields on their form
    client.post(page(contract), form())
    for url in (page(contract), card(contract), reverse("contract_detail", args=[contract.pk])):
        body = client.get(url).content.decode()
        assert "Quality was not as expected" not in body
        assert "quality_not_as_expected" not in body
        assert "of 10" not in body
        assert "Would recommend" not in body
    revealed = client.get(page(contract)).content.decode()
    assert "Mixed." in revealed  # the public part is revealed to them
    assert "Edit your feedback" not in revealed


def test_after_the_reveal_the_page_is_frozen(client):
    contract = ended_contract()
    feedback(contract, by=contract.freelancer, text="Good client.")
    client.force_login(contract.client)
    with clock.frozen_at(contract.ended_at + timedelta(days=14)):
        body = client.get(page(contract)).content.decode()
        assert "Good client." in body
        assert "You did not leave feedback on this contract." in body
        assert "Submit feedback" not in body
        refused = client.post(page(contract), form())
    assert refused.status_code == 422
    assert "window closed" in refused.content.decode()
    assert Feedback.objects.count() == 1


def test_a_running_contract_says_when_feedback_opens(client):
    contract = running_contract()
    client.force_login(contract.freelancer)
    body = client.get(page(contract)).content.decode()
    assert "Feedback opens when the contract ends" in body
    room = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert card(contract) not in room


def test_the_contract_room_loads_the_card_for_an_ended_contract(client):
    contract = ended_contract()
    client.force_login(contract.client)
    room = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert f'hx-get="{card(contract)}"' in room
    assert f'href="{page(contract)}"' in room
    fragment = client.get(card(contract), headers=HTMX).content.decode()
    assert "Leave feedback" in fragment
    feedback(contract, by=contract.client)
    assert "You left feedback." in client.get(card(contract)).content.decode()
    feedback(contract, by=contract.freelancer, communication=4)
    assert "rated you" in client.get(card(contract)).content.decode()


def test_a_refusal_once_the_form_is_gone_is_shown_on_the_page(client):
    contract = ended_contract()
    client.force_login(contract.client)
    with clock.frozen_at(contract.ended_at + timedelta(days=14)):
        closed = client.post(page(contract), form())
        partial = client.post(page(contract), form(), headers=HTMX)
    assert closed.status_code == 422
    assert 'role="alert"' in closed.content.decode()
    assert "feedback can no longer be left or changed" in closed.content.decode()
    assert "feedback can no longer be left or changed" in partial.content.decode()
    feedback(contract, by=contract.client)
    feedback(contract, by=contract.freelancer)
    revealed = client.post(page(contract), form()).content.decode()
    assert "is revealed and can no longer be changed" in revealed
    running = running_contract()
    client.force_login(running.client)
    refused = client.post(page(running), form())
    assert refused.status_code == 422
    assert 'role="alert"' in refused.content.decode()
    assert "Feedback opens when the contract ends." in refused.content.decode()
    assert 'role="alert"' not in client.get(page(running)).content.decode()


def test_the_window_length_shown_comes_from_the_rule(client, monkeypatch):
    contract = ended_contract()
    client.force_login(contract.client)
    room = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert f"both sides have {FEEDBACK_WINDOW.days} days" in room
    monkeypatch.setattr(
        "openlance.reviews.templatetags.reviews.FEEDBACK_WINDOW", timedelta(days=30)
    )
    room = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert "both sides have 30 days" in room


def test_the_rating_selects_are_plain_selects_though_one_is_named_skills(client):
    contract = ended_contract()
    client.force_login(contract.client)
    body = client.get(page(contract)).content.decode()
    assert 'class="skill-picker"' not in body
    assert '<select name="skills"' in body


def test_the_field_template_knows_the_skill_picker_by_its_widget():
    class Skills(forms.Form):
        skills = SkillsField()

    picker = render_to_string("web/_field.html", {"field": Skills()["skills"]})
    assert 'class="skill-picker"' in picker
    rating = render_to_string(
        "web/_field.html", {"field": FeedbackForm(with_private=False)["skills"]}
    )
    assert 'class="skill-picker"' not in rating
    assert '<select name="skills"' in rating
