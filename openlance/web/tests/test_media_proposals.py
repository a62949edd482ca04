import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from openlance.core.tests.files import pdf_bytes
from openlance.proposals.services import proposal_attachment_add
from openlance.proposals.tests.factories import funded_freelancer, proposal

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def _attached():
    sent = proposal()
    attachment = proposal_attachment_add(
        freelancer=sent.freelancer,
        proposal=sent,
        upload=SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf"),
    )
    return sent, attachment


@pytest.mark.parametrize("who", ["freelancer", "client"])
def test_proposal_attachment_downloads_for_its_freelancer_and_the_client(client, who):
    sent, attachment = _attached()
    client.force_login(sent.freelancer if who == "freelancer" else sent.job.client)
    response = client.get(attachment.file.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == PDF


def test_proposal_attachment_is_404_to_anyone_else(client):
    _, attachment = _attached()
    assert client.get(attachment.file.url).status_code == 404
    client.force_login(funded_freelancer())
    assert client.get(attachment.file.url).status_code == 404
