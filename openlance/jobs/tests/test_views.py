"""Posting, listing, editing, publishing and closing jobs through the real views."""

import pytest

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core.tests.files import fake_image_upload, pdf_upload
from openlance.jobs.models import JobAttachment, JobPost, JobState
from openlance.jobs.services import job_hire_record
from openlance.jobs.tests.factories import job_post
from openlance.jobs.views import MY_JOBS_PER_PAGE

pytestmark = pytest.mark.django_db


def post_data(**changes):
    data = {
        "title": "Blog posts for a SaaS tool",
        "description": "Four articles a month about analytics, 1,500 words each, with sources.",
        "category": "writing",
        "skills": ["content-writing", "copywriting"],
        "size": "medium",
        "duration": "one_to_3_months",
        "experience_level": "intermediate",
        "budget_type": "fixed",
        "budget": "800",
        "hourly_min": "",
        "hourly_max": "",
        "location": "us",
        "visibility": "public",
        "questions": "Which SaaS blogs have you written for?\nHow do you research a topic?",
        "action": "publish",
    }
    data.update(changes)
    return data


@pytest.fixture
def hirer(client):
    user = client_user()
    client.force_login(user)
    return user


def test_post_a_job_needs_the_client_role(client):
    assert client.get("/jobs/new/").status_code == 302  # to sign in
    client.force_login(freelancer_user())
    response = client.get("/jobs/new/")
    assert response.status_code == 403
    assert 'value="client"' in response.content.decode()


def test_the_form_offers_every_field(client, hirer):
    html = client.get("/jobs/new/").content.decode()
    for name in [
        "title",
        "description",
        "category",
        "skills",
        "size",
        "duration",
        "experience_level",
        "budget_type",
        "budget",
        "hourly_min",
        "hourly_max",
        "location",
        "countries",
        "visibility",
        "questions",
        "attachments",
    ]:
        assert f'name="{name}"' in html, name
    assert 'value="publish"' in html
    assert 'value="draft"' in html


def test_publish_a_fixed_price_us_only_job_with_questions_and_an_attachment(client, hirer):
    response = client.post("/jobs/new/", {**post_data(), "attachments": [pdf_upload("brief.pdf")]})
    assert response.status_code == 302
    job = JobPost.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == JobState.OPEN
    assert job.budget_cents == 80_000
    assert [c.code for c in job.countries] == ["US"]
    assert list(job.questions.values_list("text", flat=True)) == [
        "Which SaaS blogs have you written for?",
        "How do you research a topic?",
    ]
    assert job.attachments.get().name == "brief.pdf"
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Your job is published." in html
    assert "$800.00" in html
    assert "United States of America" in html
    assert "How do you research a topic?" in html
    assert "About the client" in html
    assert "Close without hiring" in html


def test_save_an_hourly_draft_for_chosen_countries(client, hirer):
    data = post_data(
        budget_type="hourly",
        budget="999",  # the hidden half of the budget is ignored
        hourly_min="25",
        hourly_max="45.50",
        location="countries",
        countries=["CA", "GB"],
        action="draft",
    )
    assert client.post("/jobs/new/", data).status_code == 302
    job = JobPost.objects.get()
    assert job.state == JobState.DRAFT
    assert (job.budget_cents, job.hourly_min_cents, job.hourly_max_cents) == (None, 2500, 4550)
    assert sorted(c.code for c in job.countries) == ["CA", "GB"]


def test_refusals_show_on_their_fields_and_nothing_is_saved(client, hirer):
    data = post_data(
        description="Too short",
        budget_type="hourly",
        hourly_min="50",
        hourly_max="20",
        questions="\n".join(f"Question {n}?" for n in range(6)),
    )
    response = client.post("/jobs/new/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_description_errors"' in html
    assert 'id="id_hourly_min_errors"' in html
    assert "The top of the range is below its bottom." in html
    assert 'id="id_questions_errors"' in html
    assert not JobPost.objects.exists()


def test_restricting_to_no_country_is_refused(client, hirer):
    response = client.post("/jobs/new/", post_data(location="countries"))
    assert response.status_code == 422
    assert "Pick at least one country" in response.content.decode()


def test_a_bad_attachment_leaves_no_post_behind(client, hirer):
    data = {**post_data(), "attachments": [fake_image_upload("brief.png")]}
    response = client.post("/jobs/new/", data)
    assert response.status_code == 422
    assert 'id="id_attachments_errors"' in response.content.decode()
    assert not JobPost.objects.exists()
    assert not JobAttachment.objects.exists()


def test_my_jobs_lists_by_state_with_an_empty_state(client, hirer):
    html = client.get("/jobs/mine/").content.decode()
    assert "No job posts yet" in html
    job_post(client=hirer, title="Open one")
    job_post(client=hirer, title="Draft one", state=JobState.DRAFT)
    job_post(title="Someone else's")
    html = client.get("/jobs/mine/").content.decode()
    assert "Open one" in html
    assert "Draft one" in html
    assert "Someone else" not in html
    drafts = client.get("/jobs/mine/", {"state": "draft"}).content.decode()
    assert "Draft one" in drafts
    assert "Open one" not in drafts


def test_my_jobs_pages_keep_the_state_filter(client, hirer):
    for n in range(MY_JOBS_PER_PAGE + 1):
        job_post(client=hirer, title=f"Open post number {n:02}")
    job_post(client=hirer, title="A draft post", state=JobState.DRAFT)
    first = client.get("/jobs/mine/", {"state": "open"}).content.decode()
    assert "Page 1 of 2" in first
    assert "Open post number 00" not in first
    assert "?state=open&amp;page=2" in first
    second = client.get(
        "/jobs/mine/", {"state": "open", "page": "2"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Open post number 00" in second
    assert "<h1>" not in second
    assert "A draft post" not in second
    assert client.get("/jobs/mine/", {"page": "nonsense"}).status_code == 200


def test_edit_then_publish_a_draft(client, hirer):
    client.post("/jobs/new/", post_data(action="draft"))
    job = JobPost.objects.get()
    html = client.get(f"/jobs/{job.pk}/edit/").content.decode()
    assert 'value="Blog posts for a SaaS tool"' in html
    assert "How do you research a topic?" in html
    response = client.post(
        f"/jobs/{job.pk}/edit/", post_data(title="Blog posts for an analytics tool")
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.title == "Blog posts for an analytics tool"
    assert job.state == JobState.OPEN


def test_publish_and_close_from_the_job_page(client, hirer):
    draft = job_post(client=hirer, state=JobState.DRAFT)
    client.post(f"/jobs/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.state == JobState.OPEN
    client.post(f"/jobs/{draft.pk}/close/", {"hired": "no"})
    draft.refresh_from_db()
    assert draft.state == JobState.CLOSED_NO_HIRE
    again = client.post(f"/jobs/{draft.pk}/close/", follow=True)
    assert "cannot become" in again.content.decode()
    draft.refresh_from_db()
    assert draft.state == JobState.CLOSED_NO_HIRE


def test_closing_a_post_kept_open_after_a_hire_says_connects_stay_spent(client, hirer):
    job = job_post(client=hirer)
    job_hire_record(job=job)
    before = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Close the post" in before
    assert "Close without hiring" not in before
    page = client.post(f"/jobs/{job.pk}/close/", follow=True).content.decode()
    assert "You hired on it, so Connects spent on it stay spent." in page
    assert "go back" not in page
    job.refresh_from_db()
    assert job.state == JobState.CLOSED_HIRED


def test_another_clients_job_cannot_be_changed(client, hirer):
    theirs = job_post(state=JobState.DRAFT)
    for url in [
        f"/jobs/{theirs.pk}/edit/",
        f"/jobs/{theirs.pk}/publish/",
        f"/jobs/{theirs.pk}/close/",
        f"/jobs/{theirs.pk}/attachments/1/delete/",
    ]:
        method = client.get if url.endswith("edit/") else client.post
        assert method(url).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.state == JobState.DRAFT


@pytest.mark.parametrize(
    ("state", "visibility", "status"),
    [
        (JobState.OPEN, "public", 200),
        (JobState.CLOSED_HIRED, "public", 200),
        (JobState.DRAFT, "public", 404),
        (JobState.OPEN, "invite_only", 404),
        (JobState.REMOVED, "public", 404),
    ],
)
def test_job_page_is_visible_only_as_the_post_allows(client, state, visibility, status):
    extra = {"removal_reason": "spam"} if state == JobState.REMOVED else {}
    job = job_post(state=state, visibility=visibility)
    if extra:
        JobPost.objects.filter(pk=job.pk).update(**extra)
    assert client.get(f"/jobs/{job.pk}/").status_code == status
    client.force_login(job.client)
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


def test_job_attachments_follow_the_post_visibility(client, hirer):
    client.post("/jobs/new/", {**post_data(action="draft"), "attachments": [pdf_upload()]})
    attachment = JobAttachment.objects.get()
    url = attachment.file.url
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(hirer)
    client.post(f"/jobs/{attachment.job_id}/publish/")
    client.logout()
    assert client.get(url).status_code == 200


def test_an_attachment_is_removed_from_the_edit_page(client, hirer):
    client.post("/jobs/new/", {**post_data(action="draft"), "attachments": [pdf_upload()]})
    attachment = JobAttachment.objects.get()
    response = client.post(f"/jobs/{attachment.job_id}/attachments/{attachment.pk}/delete/")
    assert response.status_code == 302
    assert not JobAttachment.objects.exists()
