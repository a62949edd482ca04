import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.test import Client

from openlance.accounts.models import (
    AuditLogEntry,
    LocationVerification,
    SignInHint,
    VerificationStatus,
)
from openlance.accounts.services import (
    location_verification_appeal,
    location_verification_approve,
    location_verification_reject,
    location_verification_submit,
    sign_in_hint_record,
    token_create,
)
from openlance.accounts.tests.factories import PASSWORD, freelancer_user
from openlance.core import clock
from openlance.core.errors import Conflict, InvalidInput, InvalidTransition
from openlance.core.models import OutboxEvent
from openlance.core.services import outbox_drain
from openlance.core.tests.files import fake_image_upload, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier():
    user = freelancer_user(is_staff=True)
    user.groups.add(Group.objects.get(name="Verifier"))
    return user


def _submit(user, country="US", city="Austin", **kwargs):
    return location_verification_submit(
        user=user,
        country=country,
        city=city,
        id_document=kwargs.get("id_document", pdf_upload("passport.pdf")),
        proof_of_address=kwargs.get("proof_of_address", png_upload("bill.png")),
        note=kwargs.get("note", ""),
    )


def test_approval_sets_the_verified_location(verifier):
    user = freelancer_user()
    request = _submit(user)
    assert request.status == VerificationStatus.SUBMITTED
    assert request.id_document.name.endswith(".pdf")
    assert request.proof_of_address.name.endswith(".jpg")
    location_verification_approve(verification=request, reviewer=verifier)
    user.refresh_from_db()
    assert (user.verified_country.code, user.verified_city) == ("US", "Austin")
    assert user.location_verified_at is not None
    assert AuditLogEntry.objects.filter(action="verification.approve", actor=verifier).exists()
    assert OutboxEvent.objects.filter(kind="verification.approved").exists()


def test_rejection_needs_a_reason_and_keeps_the_location_unverified(verifier):
    user = freelancer_user()
    request = _submit(user)
    with pytest.raises(InvalidInput):
        location_verification_reject(verification=request, reviewer=verifier, reason=" ")
    location_verification_reject(verification=request, reviewer=verifier, reason="Blurry document")
    user.refresh_from_db()
    assert not user.verified_country
    request.refresh_from_db()
    assert request.reason == "Blurry document"
    with pytest.raises(InvalidTransition):
        location_verification_approve(verification=request, reviewer=verifier)


def test_appeal_with_new_evidence_once(verifier):
    user = freelancer_user()
    rejected = location_verification_reject(
        verification=_submit(user), reviewer=verifier, reason="Expired ID"
    )
    with pytest.raises(InvalidInput):
        location_verification_appeal(
            user=user,
            rejected=rejected,
            id_document=pdf_upload(),
            proof_of_address=pdf_upload(),
            note="",
        )
    appeal = location_verification_appeal(
        user=user,
        rejected=rejected,
        id_document=pdf_upload(),
        proof_of_address=pdf_upload(),
        note="New passport",
    )
    assert appeal.appeal_of == rejected
    assert (appeal.country.code, appeal.city) == ("US", "Austin")
    location_verification_approve(verification=appeal, reviewer=verifier)
    with pytest.raises(Conflict):
        location_verification_appeal(
            user=user,
            rejected=rejected,
            id_document=pdf_upload(),
            proof_of_address=pdf_upload(),
            note="again",
        )


def test_only_one_open_request():
    user = freelancer_user()
    _submit(user)
    with pytest.raises(Conflict):
        _submit(user, country="CA", city="Toronto")
    assert LocationVerification.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"city": ""}, "city"),
        ({"id_document": fake_image_upload("id.pdf")}, "id_document"),
        ({"proof_of_address": None}, "proof_of_address"),
    ],
)
def test_bad_submissions_change_nothing(kwargs, field):
    user = freelancer_user()
    with pytest.raises(InvalidInput) as refused:
        _submit(user, **kwargs)
    assert field in refused.value.field_errors
    assert not LocationVerification.objects.exists()


def test_only_verifiers_review_and_never_their_own(verifier):
    user = freelancer_user()
    request = _submit(user)
    with pytest.raises(PermissionDenied):
        location_verification_approve(verification=request, reviewer=freelancer_user(is_staff=True))
    own = _submit(verifier)
    with pytest.raises(PermissionDenied):
        location_verification_approve(verification=own, reviewer=verifier)


def test_sign_in_records_a_hint_that_never_changes_the_location(settings):
    settings.ACCOUNT_RATE_LIMITS = False
    user = freelancer_user()
    browser = Client(HTTP_CF_IPCOUNTRY="de", REMOTE_ADDR="203.0.113.9")
    assert (
        browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code
        == 302
    )
    hint = SignInHint.objects.get(user=user)
    assert (hint.ip_address, hint.country) == ("203.0.113.9", "DE")
    user.refresh_from_db()
    assert not user.verified_country


def test_hint_tolerates_garbage():
    hint = sign_in_hint_record(
        user=freelancer_user(), ip_address="not-an-ip", country="ZZZ", user_agent="x" * 999
    )
    assert (hint.ip_address, hint.country, len(hint.user_agent)) == (None, "", 255)


@pytest.fixture
def checks_miss_a_concurrent_request(monkeypatch):
    """The checks ran before a request sent at the same moment committed (PostgreSQL, two
    workers): they see no such request, only the database constraints do."""
    exists = QuerySet.exists

    def blind(queryset):
        return False if queryset.model is LocationVerification else exists(queryset)

    monkeypatch.setattr(QuerySet, "exists", blind)


def _stored_files(settings):
    return sorted(p.name for p in (settings.MEDIA_ROOT / "verification").rglob("*") if p.is_file())


def _api_post(user, path, data):
    secret = token_create(user=user, name="test")[1]
    return Client().post(
        path,
        {**data, "id_document": pdf_upload(), "proof_of_address": pdf_upload()},
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_a_concurrent_second_request_is_a_conflict_that_writes_nothing(
    settings, checks_miss_a_concurrent_request
):
    user = freelancer_user()
    _submit(user)
    files = _stored_files(settings)
    response = _api_post(user, "/api/v1/me/verifications", {"country": "US", "city": "Austin"})
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert LocationVerification.objects.filter(user=user).count() == 1
    assert _stored_files(settings) == files


def test_a_concurrent_second_appeal_is_a_conflict_that_writes_nothing(
    settings, verifier, checks_miss_a_concurrent_request
):
    user = freelancer_user()
    rejected = location_verification_reject(
        verification=_submit(user), reviewer=verifier, reason="Expired ID"
    )
    appeal = location_verification_appeal(
        user=user,
        rejected=rejected,
        id_document=pdf_upload(),
        proof_of_address=pdf_upload(),
        note="New passport",
    )
    location_verification_approve(verification=appeal, reviewer=verifier)
    files = _stored_files(settings)
    response = _api_post(
        user, f"/api/v1/me/verifications/{rejected.pk}/appeal", {"note": "Another passport"}
    )
    assert response.status_code == 409, response.content
    assert LocationVerification.objects.filter(user=user).count() == 2
    assert _stored_files(settings) == files


def test_the_user_is_told_why_a_request_was_rejected_and_how_to_appeal(verifier):
    user = freelancer_user()
    location_verification_reject(
        verification=_submit(user), reviewer=verifier, reason="The bill is older than 3 months."
    )
    outbox_drain(now=clock.now())
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "could not be verified" in message.subject
    assert "The bill is older than 3 months." in message.body
    assert "appeal once" in message.body
    assert "/verification/" in message.body


def test_the_user_is_told_their_location_is_verified(verifier):
    user = freelancer_user()
    location_verification_approve(verification=_submit(user), reviewer=verifier)
    outbox_drain(now=clock.now())
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject.endswith("Your location is verified")
    assert "Austin, United States" in message.body
