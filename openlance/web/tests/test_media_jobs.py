import pytest

from openlance.accounts.tests.factories import freelancer_user
from openlance.core.tests.files import pdf_upload
from openlance.jobs.models import JobState, JobVisibility
from openlance.jobs.services import job_attachment_add
from openlance.jobs.tests.factories import job_post
from openlance.proposals.tests.factories import invitation

pytestmark = pytest.mark.django_db


def test_an_invited_freelancer_downloads_the_attachments_of_an_invite_only_post(client):
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    attachment = job_attachment_add(job=job, upload=pdf_upload())
    invited = invitation(job=job).freelancer
    client.force_login(invited)
    assert attachment.file.url in client.get(f"/jobs/{job.pk}/").content.decode()
    response = client.get(attachment.file.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_attachments_of_an_invite_only_post_are_404_to_anyone_not_invited(client):
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    attachment = job_attachment_add(job=job, upload=pdf_upload())
    invitation(job=job)
    assert client.get(attachment.file.url).status_code == 404
    client.force_login(freelancer_user())
    assert client.get(attachment.file.url).status_code == 404


def test_an_invitation_does_not_open_the_attachments_of_a_removed_post(client):
    job = job_post(visibility=JobVisibility.INVITE_ONLY)
    attachment = job_attachment_add(job=job, upload=pdf_upload())
    invited = invitation(job=job).freelancer
    job.state = JobState.REMOVED
    job.removal_reason = "Spam"
    job.save(update_fields=["state", "removal_reason"])
    client.force_login(invited)
    assert client.get(attachment.file.url).status_code == 404
