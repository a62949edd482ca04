"""A post read as plain data (the API's) is the post the model read gives, to the same people."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core import clock
from openlance.core.errors import NotFound
from openlance.jobs.models import JobAttachment, JobState, JobVisibility, ScreeningQuestion
from openlance.jobs.selectors import JobData, job_data_of, job_data_visible, job_get
from openlance.jobs.tests.factories import job_post

pytestmark = pytest.mark.django_db


def model_read(job_id: int, viewer) -> JobData | None:
    try:
        return JobData.of(job_get(job_id=job_id, viewer=viewer))
    except NotFound:
        return None


def test_every_state_and_visibility_reads_the_same_as_the_model_for_every_viewer():
    owner = client_user()
    viewers = [AnonymousUser(), freelancer_user(), client_user(), owner, client_user(is_staff=True)]
    jobs = [
        job_post(client=owner, state=state, visibility=visibility, skills=["Python", "Django"])
        for state in JobState.values
        for visibility in JobVisibility.values
    ]
    for job in jobs:
        for viewer in viewers:
            assert job_data_visible(job_id=job.pk, viewer=viewer) == model_read(job.pk, viewer)
    assert job_data_visible(job_id=jobs[-1].pk + 1000, viewer=owner) is None


def test_a_page_of_posts_carries_each_posts_own_questions_attachments_and_countries():
    first = job_post(skills=["Python"], countries=["DE", "FR"])
    second = job_post(skills=["WordPress", "Django"])
    ScreeningQuestion.objects.create(job=first, position=2, text="When can you start?")
    ScreeningQuestion.objects.create(job=first, position=1, text="Have you done this before?")
    JobAttachment.objects.create(
        job=second, name="brief.pdf", size_bytes=1234, file="jobs/b.pdf", uploaded_at=clock.now()
    )
    read = job_data_of([second.pk, first.pk, 0])
    assert set(read) == {first.pk, second.pk}
    for job in (first, second):
        assert read[job.pk] == model_read(job.pk, AnonymousUser())
    assert read[first.pk].questions == [
        (1, "Have you done this before?"),
        (2, "When can you start?"),
    ]
    assert read[first.pk].countries == ["DE", "FR"]
    assert read[second.pk].skill_slugs == ["django", "wordpress"]
    assert [a.name for a in read[second.pk].attachments] == ["brief.pdf"]
