from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import F

from openlance.accounts.models import AuditLogEntry
from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from openlance.core.models import OutboxEvent
from openlance.core.services import outbox_drain
from openlance.core.tests.files import fake_image_upload, pdf_upload
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.services import (
    JobDraft,
    job_attachment_add,
    job_attachment_delete,
    job_close,
    job_create,
    job_expiry_run_due,
    job_hire_record,
    job_publish,
    job_remove,
    job_touch,
    job_update,
)

pytestmark = pytest.mark.django_db

DRAFT = JobDraft(
    title="Blog posts about developer tools",
    description=(
        "We need four long-form articles a month about developer tools, with research and SEO."
    ),
    category_slug="writing",
    skill_slugs=["content-writing", "seo-writing"],
    size="medium",
    duration="one_to_3_months",
    experience_level="intermediate",
    budget_type="fixed",
    budget_cents=80_000,
    countries=["us"],
    questions=["Share a sample post.", "How do you research?"],
)


def _open_job(**changes):
    return job_create(client=client_user(), draft=replace(DRAFT, **changes), publish=True)


def test_create_publish_and_fields():
    job = job_create(client=client_user(), draft=DRAFT, publish=False)
    assert job.state == JobState.DRAFT
    assert job.published_at is None
    assert [c.code for c in job.countries] == ["US"]
    assert list(job.questions.values_list("text", flat=True)) == DRAFT.questions
    job_publish(job=job)
    assert job.state == JobState.OPEN
    assert job.published_at is not None
    assert OutboxEvent.objects.filter(kind="job.open", payload__job_id=job.pk).exists()


def test_hourly_budget():
    job = _open_job(
        budget_type="hourly", budget_cents=None, hourly_min_cents=2_000, hourly_max_cents=4_000
    )
    assert (job.budget_cents, job.hourly_min_cents, job.hourly_max_cents) == (None, 2_000, 4_000)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "Hi"}, "title"),
        ({"description": "too short"}, "description"),
        ({"category_slug": "astrology"}, "category"),
        ({"size": "huge"}, "size"),
        ({"duration": "forever"}, "duration"),
        ({"experience_level": "god"}, "experience_level"),
        ({"budget_cents": 499}, "budget"),
        (
            {
                "budget_type": "hourly",
                "budget_cents": None,
                "hourly_min_cents": 299,
                "hourly_max_cents": 500,
            },
            "hourly_rate",
        ),
        (
            {
                "budget_type": "hourly",
                "budget_cents": None,
                "hourly_min_cents": 5_000,
                "hourly_max_cents": 4_000,
            },
            "hourly_rate",
        ),
        ({"skill_slugs": ["basket-weaving"]}, "skills"),
        ({"countries": ["XX"]}, "countries"),
        ({"questions": ["q"] * 6}, "questions"),
        ({"visibility": "secret"}, "visibility"),
    ],
)
def test_bad_posts_are_refused_and_nothing_is_saved(changes, field):
    with pytest.raises(InvalidInput) as refused:
        job_create(client=client_user(), draft=replace(DRAFT, **changes), publish=True)
    assert field in refused.value.field_errors
    assert not JobPost.objects.exists()


def test_freelancers_cannot_post():
    with pytest.raises(InvalidInput):
        job_create(client=freelancer_user(), draft=DRAFT, publish=True)


def test_state_machine():
    job = _open_job()
    job_close(job=job, hired=False)
    assert job.state == JobState.CLOSED_NO_HIRE
    assert job.closed_at is not None
    with pytest.raises(InvalidTransition):
        job_publish(job=job)
    with pytest.raises(InvalidTransition):
        job_close(job=job, hired=True)
    with pytest.raises(InvalidTransition):
        job_update(job=job, draft=DRAFT)
    hired = _open_job()
    job_close(job=hired, hired=True)
    assert hired.state == JobState.CLOSED_HIRED
    assert OutboxEvent.objects.filter(kind="job.closed_no_hire").count() == 1


def test_staff_removal_needs_staff_and_a_reason():
    job = _open_job()
    with pytest.raises(NotFound):
        job_remove(job=job, staff=freelancer_user(), reason="spam")
    staff = freelancer_user(is_staff=True)
    with pytest.raises(InvalidInput):
        job_remove(job=job, staff=staff, reason="  ")
    job_remove(job=job, staff=staff, reason="Asks for free work")
    job.refresh_from_db()
    assert (job.state, job.removal_reason) == (JobState.REMOVED, "Asks for free work")
    assert AuditLogEntry.objects.filter(action="job.remove").exists()
    assert OutboxEvent.objects.filter(kind="job.removed", payload__job_id=job.pk).exists()
    with pytest.raises(InvalidTransition):
        job_remove(job=job, staff=staff, reason="again")


def test_update_keeps_screening_questions_once_answered():
    job = _open_job()
    JobPost.objects.filter(pk=job.pk).update(proposals_count=1)
    job.refresh_from_db()
    with pytest.raises(Conflict):
        job_update(job=job, draft=replace(DRAFT, questions=["Something else?"]))
    job_update(job=job, draft=replace(DRAFT, title="Blog posts about developer tooling"))
    assert job.title == "Blog posts about developer tooling"


def test_attachments_by_content_and_limit():
    job = _open_job()
    attachment = job_attachment_add(job=job, upload=pdf_upload("brief.pdf"))
    assert attachment.name == "brief.pdf"
    with pytest.raises(InvalidInput):
        job_attachment_add(job=job, upload=fake_image_upload("brief.pdf"))
    for _ in range(4):
        job_attachment_add(job=job, upload=pdf_upload())
    with pytest.raises(Conflict):
        job_attachment_add(job=job, upload=pdf_upload())
    job_attachment_delete(job=job, attachment_id=attachment.pk)
    assert job.attachments.count() == 4
    with pytest.raises(NotFound):
        job_attachment_delete(job=job, attachment_id=attachment.pk)


def test_expiry_warns_on_day_25_and_expires_on_day_30_once():
    start = clock.now()
    with clock.frozen_at(start):
        job = _open_job()
    assert job_expiry_run_due(now=start + timedelta(days=24, hours=23)) == {
        "warned": 0,
        "expired": 0,
    }
    assert job_expiry_run_due(now=start + timedelta(days=25)) == {"warned": 1, "expired": 0}
    assert job_expiry_run_due(now=start + timedelta(days=26)) == {"warned": 0, "expired": 0}
    outbox_drain(now=start + timedelta(days=26))
    assert len(mail.outbox) == 1
    assert "expires in 5 days" in mail.outbox[0].subject
    assert job_expiry_run_due(now=start + timedelta(days=30)) == {"warned": 0, "expired": 1}
    assert job_expiry_run_due(now=start + timedelta(days=30)) == {"warned": 0, "expired": 0}
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED
    assert OutboxEvent.objects.filter(kind="job.expired", payload__job_id=job.pk).count() == 1


def test_client_activity_postpones_expiry():
    start = clock.now()
    with clock.frozen_at(start):
        job = _open_job()
    job_expiry_run_due(now=start + timedelta(days=25))
    with clock.frozen_at(start + timedelta(days=26)):
        job_touch(job=job)
    assert job_expiry_run_due(now=start + timedelta(days=30)) == {"warned": 0, "expired": 0}
    assert job_expiry_run_due(now=start + timedelta(days=51)) == {"warned": 1, "expired": 0}
    assert job_expiry_run_due(now=start + timedelta(days=56)) == {"warned": 0, "expired": 1}


def test_drafts_never_expire():
    start = clock.now()
    with clock.frozen_at(start):
        job_create(client=client_user(), draft=DRAFT, publish=False)
    assert job_expiry_run_due(now=start + timedelta(days=90)) == {"warned": 0, "expired": 0}


def test_an_edit_loaded_before_expiry_does_not_reopen_the_post():
    start = clock.now()
    with clock.frozen_at(start):
        job = _open_job()
    loaded_by_the_edit_page = JobPost.objects.get(pk=job.pk)
    job_expiry_run_due(now=start + timedelta(days=30))
    with pytest.raises(InvalidTransition):
        job_update(job=loaded_by_the_edit_page, draft=replace(DRAFT, title="A new title"))
    job.refresh_from_db()
    assert (job.state, job.title) == (JobState.EXPIRED, DRAFT.title)


def test_an_edit_loaded_before_a_removal_does_not_reopen_the_post():
    job = _open_job()
    loaded_by_the_edit_page = JobPost.objects.get(pk=job.pk)
    job_remove(job=JobPost.objects.get(pk=job.pk), staff=client_user(is_staff=True), reason="x")
    with pytest.raises(InvalidTransition):
        job_update(job=loaded_by_the_edit_page, draft=DRAFT)
    assert JobPost.objects.get(pk=job.pk).state == JobState.REMOVED


def test_an_edit_checks_questions_against_proposals_that_arrived_after_loading():
    job = _open_job()
    loaded_by_the_edit_page = JobPost.objects.get(pk=job.pk)
    JobPost.objects.filter(pk=job.pk).update(proposals_count=F("proposals_count") + 1)
    with pytest.raises(Conflict):
        job_update(job=loaded_by_the_edit_page, draft=replace(DRAFT, questions=["New?"]))
    job_update(job=loaded_by_the_edit_page, draft=replace(DRAFT, title="A new title"))
    job.refresh_from_db()
    assert (job.title, job.proposals_count) == ("A new title", 1)
    assert loaded_by_the_edit_page.proposals_count == 1


def test_closing_a_stale_copy_keeps_the_proposals_counted_since():
    job = _open_job()
    stale = JobPost.objects.get(pk=job.pk)
    JobPost.objects.filter(pk=job.pk).update(proposals_count=F("proposals_count") + 1)
    job_close(job=stale, hired=False)
    job.refresh_from_db()
    assert (job.state, job.proposals_count) == (JobState.CLOSED_NO_HIRE, 1)
    assert (stale.state, stale.closed_at) == (JobState.CLOSED_NO_HIRE, job.closed_at)


def test_an_edit_after_the_expiry_warning_earns_a_new_warning():
    start = clock.now()
    with clock.frozen_at(start):
        job = _open_job()
    assert job_expiry_run_due(now=start + timedelta(days=25))["warned"] == 1
    with clock.frozen_at(start + timedelta(days=26)):
        job_update(
            job=JobPost.objects.get(pk=job.pk), draft=replace(DRAFT, title="Still hiring: blog")
        )
    assert JobPost.objects.get(pk=job.pk).expiry_warned_at is None
    assert job_expiry_run_due(now=start + timedelta(days=51)) == {"warned": 1, "expired": 0}


@pytest.mark.parametrize("state", [JobState.CLOSED_NO_HIRE, JobState.EXPIRED, JobState.REMOVED])
def test_attachments_of_a_post_that_is_no_longer_open_stay(state):
    job = _open_job()
    attachment = job_attachment_add(job=job, upload=pdf_upload())
    JobPost.objects.filter(pk=job.pk).update(state=state, removal_reason="Spam")
    with pytest.raises(InvalidTransition):
        job_attachment_delete(job=job, attachment_id=attachment.pk)
    assert job.attachments.filter(pk=attachment.pk).exists()


def test_a_post_kept_open_after_a_hire_closes_as_hired():
    job = _open_job()
    job_hire_record(job=job)
    assert job.hires_count == 1
    job_close(job=job, hired=False)
    assert JobPost.objects.get(pk=job.pk).state == JobState.CLOSED_HIRED
    kinds = set(OutboxEvent.objects.filter(payload__job_id=job.pk).values_list("kind", flat=True))
    assert "job.closed_hired" in kinds
    assert "job.closed_no_hire" not in kinds


def test_a_post_kept_open_after_a_hire_expires_as_hired():
    start = clock.now()
    with clock.frozen_at(start):
        job = _open_job()
        job_hire_record(job=job)
    assert job_expiry_run_due(now=start + timedelta(days=25))["warned"] == 1
    outbox_drain(now=start + timedelta(days=25))
    assert "closes in 5 days" in mail.outbox[-1].subject
    assert job_expiry_run_due(now=start + timedelta(days=30))["expired"] == 1
    assert JobPost.objects.get(pk=job.pk).state == JobState.CLOSED_HIRED
    assert not OutboxEvent.objects.filter(kind="job.expired", payload__job_id=job.pk).exists()


def test_a_post_with_a_hire_removed_by_staff_is_removed():
    job = _open_job()
    job_hire_record(job=job)
    job_remove(job=job, staff=client_user(is_staff=True), reason="Spam")
    assert JobPost.objects.get(pk=job.pk).state == JobState.REMOVED
