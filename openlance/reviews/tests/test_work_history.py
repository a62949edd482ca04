"""A freelancer's work history on their profile (SPEC §2.1, "work history with feedback"):
clients' revealed public feedback, the first page on the profile, the rest from
/freelancers/<id>/reviews/, as far as the profile's visibility allows (the rule of the
profile page and of GET /api/v1/freelancers/{id}/reviews)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openlance.jobs.tests.factories import job_client
from openlance.profiles.models import Freelancer, Visibility
from openlance.proposals.tests.factories import funded_freelancer
from openlance.reviews.models import Feedback
from openlance.reviews.selectors import WORK_HISTORY_PAGE
from openlance.reviews.tests.factories import ended_contract, feedback

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def profile(user) -> str:
    return reverse("freelancer_detail", args=[user.pk])


def history(user) -> str:
    return reverse("freelancer_reviews", args=[user.pk])


def revealed(freelancer, text: str, **private):
    contract = ended_contract(freelancer=freelancer)
    feedback(contract, by=contract.client, text=text, **private)
    feedback(contract, by=contract.freelancer, text="A fine client.")
    return contract


def test_the_profile_shows_revealed_public_feedback_never_the_private_part(client):
    freelancer = funded_freelancer()
    contract = revealed(freelancer, "Superb work.", end_reason="completed", recommend=10)
    hidden = ended_contract(freelancer=freelancer)
    feedback(hidden, by=hidden.client, text="Not revealed yet.")
    body = client.get(profile(freelancer)).content.decode()
    assert "Work history" in body
    assert "Superb work." in body
    assert contract.title in body
    assert "5.00" in body
    assert "Not revealed yet." not in body
    assert "Job completed successfully" not in body
    assert "of 10" not in body
    assert "More feedback" not in body


def test_empty_states_tell_no_contracts_from_no_feedback(client):
    freelancer = funded_freelancer()
    assert "No completed contracts yet." in client.get(profile(freelancer)).content.decode()
    contract = ended_contract(freelancer=freelancer)
    feedback(contract, by=contract.client, text="Waiting for the reveal.")
    body = client.get(profile(freelancer)).content.decode()
    assert "No completed contracts yet." not in body
    assert "No feedback on finished contracts yet." in body


def test_more_feedback_page_by_page(client):
    freelancer = funded_freelancer()
    for n in range(WORK_HISTORY_PAGE + 1):
        revealed(freelancer, f"Review number {n}.")
    body = client.get(profile(freelancer)).content.decode()
    assert body.count('data-testid="review"') == WORK_HISTORY_PAGE
    assert "Review number 0." not in body  # the oldest, on the next page
    more = f"{history(freelancer)}?page=2"
    assert f'hx-get="{more}"' in body
    fragment = client.get(more, headers=HTMX).content.decode()
    assert "<html" not in fragment
    assert "Review number 0." in fragment
    assert fragment.count('data-testid="review"') == 1
    page = client.get(more).content.decode()
    assert "<html" in page
    assert "Review number 0." in page


def test_visibility_applies_to_the_history_as_to_the_profile(client):
    freelancer = funded_freelancer()
    revealed(freelancer, "Superb work.")
    Freelancer.objects.filter(user=freelancer).update(visibility=Visibility.MEMBERS)
    assert client.get(history(freelancer)).status_code == 404
    client.force_login(job_client())
    assert "Superb work." in client.get(history(freelancer)).content.decode()
    Freelancer.objects.filter(user=freelancer).update(visibility=Visibility.PRIVATE)
    assert client.get(history(freelancer)).status_code == 404
    assert "Superb work." not in client.get(profile(freelancer)).content.decode()
    client.force_login(freelancer)
    assert "Superb work." in client.get(history(freelancer)).content.decode()
    assert client.get(reverse("freelancer_reviews", args=[987654321])).status_code == 404
    some_client = Feedback.objects.filter(direction="client_to_freelancer").first().author
    assert client.get(history(some_client)).status_code == 404  # not a freelancer
