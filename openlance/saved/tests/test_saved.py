"""Saved jobs and saved freelancers (issue 15): saved once however often, only what the user
may see, pages with empty states, a button that toggles in place, and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.errors import Conflict, NotFound
from openlance.jobs.models import JobVisibility
from openlance.jobs.tests.factories import job_post
from openlance.profiles.models import Visibility
from openlance.profiles.tests.factories import freelancer_with_profile
from openlance.saved.models import SavedFreelancer, SavedJob
from openlance.saved.services import freelancer_save, job_save, job_unsave

pytestmark = pytest.mark.django_db


def test_a_freelancer_saves_a_visible_job_once_and_unsaves_it():
    freelancer = freelancer_user()
    job = job_post()
    first = job_save(user=freelancer, job_id=job.pk)
    assert job_save(user=freelancer, job_id=job.pk) == first
    assert SavedJob.objects.count() == 1
    hidden = job_post(visibility=JobVisibility.INVITE_ONLY)
    with pytest.raises(NotFound):
        job_save(user=freelancer, job_id=hidden.pk)
    with pytest.raises(Conflict):
        job_save(user=client_user(), job_id=job.pk)
    job_unsave(user=freelancer, job_id=job.pk)
    job_unsave(user=freelancer, job_id=job.pk)
    assert not SavedJob.objects.exists()


def test_a_client_saves_a_public_freelancer_but_not_a_private_one_or_themselves():
    client = client_user()
    public = freelancer_with_profile().freelancer
    private = freelancer_with_profile(visibility=Visibility.PRIVATE).freelancer
    freelancer_save(client=client, freelancer_id=public.user_id)
    with pytest.raises(NotFound):
        freelancer_save(client=client, freelancer_id=private.user_id)
    with pytest.raises(NotFound):
        freelancer_save(client=client, freelancer_id=10**12)
    assert SavedFreelancer.objects.count() == 1


def test_the_pages_and_the_button_that_toggles_in_place(client):
    freelancer = freelancer_user()
    job = job_post(title="Newsletter writer")
    client.force_login(freelancer)
    empty = client.get("/saved/jobs/").content.decode()
    assert "No saved jobs yet" in empty
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/saved/jobs/{job.pk}/button/"' in page
    button = client.get(f"/saved/jobs/{job.pk}/button/").content.decode()
    assert "☆ Save job" in button
    saved = client.post(f"/saved/jobs/{job.pk}/", {"save": "1"}, headers={"HX-Request": "true"})
    assert "★ Saved" in saved.content.decode()
    listed = client.get("/saved/jobs/").content.decode()
    assert "Newsletter writer" in listed
    back = client.post(f"/saved/jobs/{job.pk}/", {"save": "0", "next": "/saved/jobs/"})
    assert back["Location"] == "/saved/jobs/"
    assert not SavedJob.objects.exists()
    assert client.post("/saved/jobs/999999/", {"save": "1"}).status_code == 404


def test_saved_freelancers_page_and_api():
    buyer = client_user()
    person = freelancer_with_profile().freelancer.user
    token = token_create(user=buyer, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    put = api.put(f"/api/v1/me/saved-freelancers/{person.pk}")
    assert put.status_code == 200, put.content
    assert api.put(f"/api/v1/me/saved-freelancers/{person.pk}").status_code == 200
    listed = api.get("/api/v1/me/saved-freelancers").json()
    assert [item["freelancer_id"] for item in listed["items"]] == [person.pk]
    assert api.delete(f"/api/v1/me/saved-freelancers/{person.pk}").status_code == 204
    assert api.get("/api/v1/me/saved-freelancers").json()["items"] == []
    browser = Client()
    browser.force_login(buyer)
    assert "No saved freelancers yet" in browser.get("/saved/freelancers/").content.decode()


def test_saved_jobs_api_refuses_what_the_caller_cannot_see():
    freelancer = freelancer_user()
    token = token_create(user=freelancer, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    hidden = job_post(visibility=JobVisibility.INVITE_ONLY)
    assert api.put(f"/api/v1/me/saved-jobs/{hidden.pk}").status_code == 404
    job = job_post()
    assert api.put(f"/api/v1/me/saved-jobs/{job.pk}").json()["job_id"] == job.pk
    assert api.get("/api/v1/me/saved-jobs").json()["count"] == 1


def test_the_job_page_warns_before_the_form_when_the_post_is_restricted(client):
    job = job_post(countries=["CA"])
    client.force_login(freelancer_user())
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-testid="location-restricted"' in page
    assert "Verify your location" in page
    assert 'data-testid="submit-proposal"' not in page
