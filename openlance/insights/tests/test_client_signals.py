"""A client's vetting signals (SPEC §2.3) carry the client rating and recent reviews from
freelancers' revealed feedback: on the job page, the client page and the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from openlance.accounts.tests.factories import client_user
from openlance.contracts.tests.factories import contract_fixed
from openlance.core.money import Money
from openlance.insights.selectors import client_signals
from openlance.jobs.tests.factories import job_client, job_post
from openlance.profiles.models import ClientProfile
from openlance.reviews.tests.factories import ended_contract, feedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated_client():
    client = job_client()
    contract = ended_contract(client=client, paid_cents=20_000)
    feedback(contract, by=client, text="Great.", end_reason="completed", recommend=10)
    feedback(contract, by=contract.freelancer, text="Prompt payer.", communication=2)
    return client


def test_signals_carry_the_rating_and_recent_reviews(rated_client):
    signals = client_signals(client=rated_client)
    assert signals.rating == Decimal("4.50")
    assert signals.rated_contracts == 1
    assert [review.text for review in signals.reviews] == ["Prompt payer."]
    assert all(review.private is None for review in signals.reviews)


def test_signals_say_none_yet_without_revealed_feedback():
    signals = client_signals(client=job_client())
    assert (signals.rating, signals.rated_contracts, signals.reviews) == (None, 0, [])


def test_a_client_with_nothing_yet_has_the_signals_of_nothing():
    """Each signal is one prepared read that finds no row for a client without a profile,
    post, contract or paid hour: zeros where zero is the truth, None where nothing is
    known yet."""
    client = client_user(first_name="Ada", last_name="Lovelace")
    signals = client_signals(client=client)
    assert (signals.name, signals.country, signals.city) == ("Ada L.", "", "")
    assert (signals.payment_method_verified, signals.total_spent) == (False, Money(0))
    assert (signals.jobs_posted, signals.open_jobs, signals.hires) == (0, 0, 0)
    assert signals.hire_rate_percent is None
    assert (signals.average_hourly_rate_paid, signals.total_hours_paid) == (None, None)


def test_the_profile_names_the_client_and_where_they_are():
    client = job_client(country="NZ", payment_method_verified=True, total_spent_cents=12_345)
    ClientProfile.objects.filter(user=client).update(company_name="Kiwi Ltd", city="Auckland")
    job_post(client=client)
    signals = client_signals(client=client)
    assert (signals.name, signals.country, signals.city) == ("Kiwi Ltd", "New Zealand", "Auckland")
    assert (signals.payment_method_verified, signals.total_spent) == (True, Money(12_345))
    assert (signals.jobs_posted, signals.open_jobs) == (1, 1)


def test_the_api_and_the_pages_show_them(rated_client):
    anonymous = Client()
    answer = anonymous.get(f"/api/v1/clients/{rated_client.pk}").json()
    assert (answer["rating"], answer["rated_contracts"]) == ("4.50", 1)
    (review,) = answer["reviews"]
    assert (review["text"], review["overall"]) == ("Prompt payer.", "4.50")
    assert "private" not in review
    page = anonymous.get(f"/clients/{rated_client.pk}/").content.decode()
    assert "4.50 of 5" in page
    assert "Prompt payer." in page
    assert "No reviews yet" not in page
    job = job_post(client=rated_client)
    assert "4.50 of 5" in anonymous.get(f"/jobs/{job.pk}/").content.decode()


def test_hires_are_contracts_not_how_the_client_closed_the_post():
    client = job_client()
    hired_on = contract_fixed(client=client).job
    contract_fixed(client=client, job=job_post(client=client), keep_post_open=True)
    job_post(client=client, state="closed_hired")  # closed "hired", but nobody was
    job_post(client=client, state="closed_no_hire")
    hired_on.refresh_from_db()
    assert hired_on.state == "closed_hired"
    signals = client_signals(client=client)
    assert signals.hires == 2
    # Closed: the post with a contract, the one closed "hired" without one, the one closed
    # without a hire (the post still open with its contract is not closed yet).
    assert signals.hire_rate_percent == 33
