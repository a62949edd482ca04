"""The location verification page: submit, status, reason, appeal."""

import pytest
from django.contrib.auth.models import Group

from openlance.accounts.models import LocationVerification, User, VerificationStatus
from openlance.accounts.services import location_verification_reject
from openlance.accounts.tests.factories import freelancer_user
from openlance.core.tests.files import fake_image_upload, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = freelancer_user()
    client.force_login(user)
    return user


def submit(client, **changes):
    data = {
        "country": "US",
        "city": "Austin",
        "id_document": pdf_upload("passport.pdf"),
        "proof_of_address": png_upload("bill.png"),
    }
    data.update(changes)
    return client.post("/profile/verification/submit/", data)


def verifier():
    user = User.objects.create_user("verifier@example.com", "x", is_staff=True)
    user.groups.add(Group.objects.get(name="Verifier"))
    return user


def test_page_needs_sign_in(client):
    assert client.get("/profile/verification/").status_code == 302


def test_first_visit_explains_and_offers_the_form(client, person):
    html = client.get("/profile/verification/").content.decode()
    assert "Not verified" in html
    assert 'name="id_document"' in html
    assert 'name="proof_of_address"' in html


def test_submit_then_see_it_waiting(client, person):
    response = submit(client)
    assert response.status_code == 302
    verification = LocationVerification.objects.get(user=person)
    assert verification.status == VerificationStatus.SUBMITTED
    html = client.get("/profile/verification/").content.decode()
    assert "Waiting for review" in html
    assert "Austin, United States of America" in html
    assert 'name="id_document"' not in html  # one open request at a time


def test_a_document_that_is_not_pdf_or_image_is_refused_in_place(client, person):
    response = submit(client, id_document=fake_image_upload("id.png"))
    assert response.status_code == 422
    assert 'id="id_id_document_errors"' in response.content.decode()
    assert not LocationVerification.objects.exists()


def test_missing_city_is_a_field_error(client, person):
    response = submit(client, city="")
    assert response.status_code == 422
    assert 'id="id_city_errors"' in response.content.decode()
    assert not LocationVerification.objects.exists()


def test_rejection_shows_the_reason_and_an_appeal_form(client, person):
    submit(client)
    rejected = location_verification_reject(
        verification=LocationVerification.objects.get(),
        reviewer=verifier(),
        reason="The bill is older than 3 months.",
    )
    html = client.get("/profile/verification/").content.decode()
    assert "Rejected" in html
    assert "The bill is older than 3 months." in html
    assert f"/profile/verification/{rejected.pk}/appeal/" in html

    no_note = client.post(
        f"/profile/verification/{rejected.pk}/appeal/",
        {"id_document": pdf_upload(), "proof_of_address": pdf_upload()},
    )
    assert no_note.status_code == 422
    assert 'id="id_note_errors"' in no_note.content.decode()

    response = client.post(
        f"/profile/verification/{rejected.pk}/appeal/",
        {
            "id_document": pdf_upload(),
            "proof_of_address": pdf_upload("new-bill.pdf"),
            "note": "A bill from last month.",
        },
    )
    assert response.status_code == 302
    appeal = LocationVerification.objects.get(appeal_of=rejected)
    assert appeal.note == "A bill from last month."
    assert "Appeal" in client.get("/profile/verification/").content.decode()


def test_someone_elses_verification_cannot_be_appealed(client, person):
    other = freelancer_user()
    client.force_login(other)
    submit(client)
    theirs = location_verification_reject(
        verification=LocationVerification.objects.get(), reviewer=verifier(), reason="No."
    )
    client.force_login(person)
    response = client.post(
        f"/profile/verification/{theirs.pk}/appeal/",
        {"id_document": pdf_upload(), "proof_of_address": pdf_upload(), "note": "Mine"},
    )
    assert response.status_code == 404
    assert LocationVerification.objects.count() == 1


def test_documents_are_served_to_the_owner_and_verifiers_only(client, person):
    submit(client)
    verification = LocationVerification.objects.get()
    url = verification.id_document.url
    assert url.startswith("/media/verification/")
    assert client.get(url).status_code == 200
    assert client.get(url)["Cache-Control"] == "private, no-store"
    client.force_login(freelancer_user())
    assert client.get(url).status_code == 404
    client.force_login(User.objects.create_user("support@example.com", "x", is_staff=True))
    assert client.get(url).status_code == 404
    client.force_login(verifier())
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 404
