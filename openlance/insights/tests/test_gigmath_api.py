import pytest
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.jobs.models import JobState, JobVisibility
from openlance.jobs.tests.factories import job_post

pytestmark = pytest.mark.django_db
URL = "/api/v1/insights/gig-math"


class _Api:
    """GETs with a personal access token (insights tests may not import the api layer)."""

    def __init__(self, user):
        self.headers = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"}

    def get(self, path, **params):
        return Client().get(path, params, headers=self.headers)


def _api(user=None):
    return _Api(user or freelancer_user())


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def test_signed_out_is_401():
    response = Client().get(URL, {"bid_type": "fixed", "bid_amount": "600", "work_hours": "10"})
    assert_problem(response, 401)


def test_gig_math_for_a_job():
    job = job_post(budget_cents=50_000)
    response = _api().get(
        URL, job_id=job.pk, bid_type="fixed", bid_amount="600.00", work_hours="10"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["gross"] == {"amount": "600.00", "currency": "USD"}
    assert body["service_fee"]["amount"] == "110.00"
    assert body["net"]["amount"] == "490.00"
    assert [(t["rate_percent"], t["fee"]["amount"]) for t in body["fee_tiers"]] == [
        ("20.00", "100.00"),
        ("10.00", "10.00"),
    ]
    assert body["client_total"]["amount"] == "620.95"
    assert body["effective_hourly_rate"]["amount"] == "44.55"
    assert body["connects"]["count"] == 4
    assert body["connects"]["free_because_invited"] is False
    assert body["hire_rate"] == {
        "hires": 0,
        "proposals_sent": 0,
        "rate_percent": "10.00",
        "assumed": True,
    }
    assert body["expected_value"]["amount"] == "48.40"
    assert body["pitch_hours"] == "1"
    assert body["verdict"] == "no_minimum"
    assert body["minimum_hourly_rate"] is None


def test_hourly_freehand_for_a_client():
    response = _api().get(
        URL,
        client_id=client_user().pk,
        bid_type="hourly",
        hourly_rate="40",
        work_hours="12.5",
        pitch_hours="0.5",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hourly_rate"]["amount"] == "40.00"
    assert body["bid_amount"] is None
    assert body["gross"]["amount"] == "500.00"
    assert body["effective_hourly_rate"]["amount"] == "30.77"


@pytest.mark.parametrize(
    "job_kwargs",
    [{"state": JobState.DRAFT}, {"visibility": JobVisibility.INVITE_ONLY}],
)
def test_a_job_you_cannot_see_is_404(job_kwargs):
    job = job_post(**job_kwargs)
    response = _api().get(URL, job_id=job.pk, bid_type="fixed", bid_amount="600", work_hours="10")
    assert_problem(response, 404)


@pytest.mark.parametrize("params", [{"job_id": 2**40}, {"client_id": 0}])
def test_unknown_ids_are_404(params):
    response = _api().get(URL, bid_type="fixed", bid_amount="600", work_hours="10", **params)
    assert_problem(response, 404)


def test_a_freelancer_is_no_client_404():
    response = _api().get(
        URL, client_id=freelancer_user().pk, bid_type="fixed", bid_amount="600", work_hours="10"
    )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bid_type": "fixed", "work_hours": "10"}, "bid_amount"),
        ({"bid_type": "hourly", "bid_amount": "600", "work_hours": "10"}, "hourly_rate"),
        ({"bid_type": "fixed", "bid_amount": "4.99", "work_hours": "10"}, "bid_amount"),
        ({"bid_type": "fixed", "bid_amount": "600", "work_hours": "0"}, "work_hours"),
    ],
)
def test_bad_bids_are_422_by_field(params, field):
    body = assert_problem(_api().get(URL, **params), 422)
    assert field in str(body)


@pytest.mark.parametrize(
    "params",
    [
        {"bid_type": "barter", "bid_amount": "600", "work_hours": "10"},
        {"bid_type": "fixed", "bid_amount": "1e9", "work_hours": "10"},
        {"bid_type": "fixed", "bid_amount": "600", "work_hours": "-1"},
        {"bid_type": "fixed", "bid_amount": "600", "work_hours": "lots"},
        {"bid_type": "fixed", "bid_amount": "600"},
        {"bid_type": "fixed", "bid_amount": "600", "work_hours": "10", "job_id": "x"},
    ],
)
def test_malformed_queries_are_422(params):
    assert_problem(_api().get(URL, **params), 422)
