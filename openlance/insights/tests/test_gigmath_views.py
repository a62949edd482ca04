import pytest
from django.urls import reverse

from openlance.accounts.tests.factories import client_user
from openlance.jobs.models import JobState
from openlance.jobs.tests.factories import job_post
from openlance.profiles.models import Freelancer
from openlance.profiles.tests.factories import freelancer_with_profile

pytestmark = pytest.mark.django_db


def _freelancer(client):
    user = freelancer_with_profile().freelancer.user
    client.force_login(user)
    return user


def test_calculator_opens_on_the_worked_example_with_open_jobs_to_choose(client):
    _freelancer(client)
    job = job_post(title="Fix my invoices")
    response = client.get(reverse("gig_math"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="net">$490.00' in page
    assert "Fix my invoices" in page
    assert f'hx-get="{reverse("gig_math_partial")}"' in page
    assert "No history yet — assuming 10%" in page
    assert "Set your minimum hourly rate" in page
    assert "Gig math calculator</a>" in page
    assert job.pk


def test_calculator_without_open_jobs_says_so(client):
    _freelancer(client)
    job_post(state=JobState.CLOSED_NO_HIRE)
    page = client.get(reverse("gig_math")).content.decode()
    assert "No open jobs to choose from right now" in page


def test_calculator_shows_errors_in_place(client):
    _freelancer(client)
    response = client.get(
        reverse("gig_math"), {"bid_type": "hourly", "hourly_rate": "", "work_hours": "x"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter your bid." in page
    assert "Hourly rate (USD): Enter your bid." in page


def test_calculator_is_for_freelancers(client):
    client.force_login(client_user())
    response = client.get(reverse("gig_math"))
    assert response.status_code == 403
    assert "This page is for freelancers" in response.content.decode()


def test_partial_for_a_job_with_a_verdict(client):
    user = _freelancer(client)
    Freelancer.objects.filter(user=user).update(minimum_hourly_rate_cents=5_000)
    job = job_post(budget_cents=50_000)
    response = client.get(
        reverse("gig_math_partial"),
        {"job": job.pk, "bid_type": "fixed", "bid_amount": "600", "work_hours": "10"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert 'data-testid="verdict">Below your minimum' in fragment
    assert "4 \u00d7 $0.15 = $0.60" in fragment
    assert 'data-testid="pitch-cost">$50.60' in fragment


def test_partial_hourly_meets_the_minimum(client):
    user = _freelancer(client)
    Freelancer.objects.filter(user=user).update(minimum_hourly_rate_cents=3_000)
    response = client.get(
        reverse("gig_math_partial"),
        {"bid_type": "hourly", "hourly_rate": "$40", "work_hours": "12.5", "pitch_hours": "0.5"},
    )
    fragment = response.content.decode()
    assert 'data-testid="verdict">Meets your minimum' in fragment
    assert 'data-testid="effective-rate">$30.77' in fragment


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bid_type": "fixed", "work_hours": "10"}, "Fixed price (USD): Enter your bid."),
        ({"bid_type": "fixed", "bid_amount": "4", "work_hours": "10"}, "Bid between $5.00"),
        ({"bid_type": "fixed", "bid_amount": "abc", "work_hours": "10"}, "Enter dollars"),
        ({"bid_type": "fixed", "bid_amount": "600", "work_hours": "1e9"}, "Working hours"),
        ({"bid_type": "bogus", "bid_amount": "600", "work_hours": "10"}, "Bid type"),
        (
            {"job": "99999999", "bid_type": "fixed", "bid_amount": "600", "work_hours": "10"},
            "That job post is not open to you.",
        ),
        ({"job": "-1", "bid_type": "fixed", "bid_amount": "600", "work_hours": "10"}, "Job:"),
    ],
)
def test_partial_explains_bad_input_and_never_fails(client, params, message):
    _freelancer(client)
    response = client.get(reverse("gig_math_partial"), params)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "alert-error" in fragment
    assert message in fragment


def test_partial_hides_a_draft_job(client):
    _freelancer(client)
    job = job_post(state=JobState.DRAFT)
    params = {"job": job.pk, "bid_type": "fixed", "bid_amount": "600", "work_hours": "10"}
    fragment = client.get(reverse("gig_math_partial"), params).content.decode()
    assert "That job post is not open to you." in fragment


def test_partial_signed_out_or_client_gets_a_message(client):
    params = {"bid_type": "fixed", "bid_amount": "600", "work_hours": "10"}
    response = client.get(reverse("gig_math_partial"), params)
    assert response.status_code == 200
    assert "Sign in as a freelancer" in response.content.decode()
    client.force_login(client_user())
    assert (
        "Gig math is for freelancers"
        in client.get(reverse("gig_math_partial"), params).content.decode()
    )


def test_minimum_rate_is_set_in_profile_settings(client):
    user = _freelancer(client)
    settings = {"availability": "part_time", "visibility": "public", "minimum_hourly_rate": "45"}
    response = client.post(reverse("profile_settings"), settings)
    assert response.status_code == 302
    assert Freelancer.objects.get(user=user).minimum_hourly_rate_cents == 4_500
    assert 'value="45.00"' in client.get(reverse("profile_edit")).content.decode()


def test_minimum_rate_out_of_range_changes_nothing(client):
    user = _freelancer(client)
    settings = {"availability": "part_time", "visibility": "public", "minimum_hourly_rate": "2"}
    settings["city"] = "Lisbon"
    response = client.post(reverse("profile_settings"), settings)
    assert response.status_code == 422
    assert "Between $3 and $1,000 an hour" in response.content.decode()
    freelancer = Freelancer.objects.get(user=user)
    assert freelancer.minimum_hourly_rate_cents is None
    assert freelancer.city == ""
