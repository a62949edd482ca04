from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.messaging import views
from openlance.messaging.limits import MESSAGES
from openlance.messaging.models import Message
from openlance.messaging.selectors import unread_total
from openlance.messaging.services import message_send
from openlance.messaging.tests.factories import conversation, pdf_upload

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def talk():
    owner, freelancer = client_user(), freelancer_user()
    return owner, freelancer, conversation(owner, freelancer, title="Logo for a bakery")


def test_pages_need_sign_in(client, talk):
    _, _, c = talk
    for url in [reverse("inbox"), reverse("conversation_detail", args=[c.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_inbox_lists_conversations_with_unread_badge_and_nav_count(client, talk):
    owner, freelancer, c = talk
    message_send(conversation=c, sender=owner, body="Could you start on Monday?")
    client.force_login(freelancer)
    page = client.get(reverse("inbox")).content.decode()
    assert "Logo for a bakery" in page
    assert owner.public_name in page
    assert "Could you start on Monday?" in page
    assert "1 new" in page
    assert 'aria-label="1 unread"' in page


def test_inbox_empty_state(client):
    client.force_login(freelancer_user())
    response = client.get(reverse("inbox"))
    assert response.status_code == 200
    assert "No conversations yet" in response.content.decode()


def test_non_member_gets_404_everywhere(client, talk):
    owner, _, c = talk
    message_send(conversation=c, sender=owner, body="Files", attachments=[pdf_upload()])
    attachment = Message.objects.get().attachments.get()
    client.force_login(freelancer_user())
    for url in [
        reverse("conversation_detail", args=[c.pk]),
        reverse("conversation_poll", args=[c.pk]),
        reverse("message_attachment", args=[c.pk, attachment.pk]),
    ]:
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("conversation_detail", args=[c.pk]), {"body": "Hi"}).status_code == 404
    )
    assert client.get("/messages/99999999999999999999999/").status_code == 404
    assert Message.objects.count() == 1


def test_opening_thread_marks_it_read(client, talk):
    owner, freelancer, c = talk
    message_send(conversation=c, sender=owner, body="Hello <b>there</b>")
    client.force_login(freelancer)
    page = client.get(reverse("conversation_detail", args=[c.pk])).content.decode()
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in page
    assert unread_total(user=freelancer) == 0


def test_no_js_post_redirects_back_to_thread(client, talk):
    owner, freelancer, c = talk
    client.force_login(owner)
    url = reverse("conversation_detail", args=[c.pk])
    response = client.post(url, {"body": "Plain form works", "attachments": [pdf_upload()]})
    assert response.status_code == 302
    assert response["Location"].startswith(url)
    message = Message.objects.get()
    assert message.body == "Plain form works"
    assert message.attachments.count() == 1
    assert unread_total(user=freelancer) == 1


def test_no_js_refusal_shown_in_place(client, talk):
    owner, _, c = talk
    client.force_login(owner)
    bad = SimpleUploadedFile("notes.pdf", b"just text", content_type="application/pdf")
    response = client.post(
        reverse("conversation_detail", args=[c.pk]), {"body": "x", "attachments": [bad]}
    )
    assert response.status_code == 422
    assert "Only PDF, JPEG, PNG, WebP or GIF files are accepted." in response.content.decode()
    assert Message.objects.count() == 0


def test_htmx_send_returns_only_new_messages_and_fresh_form(client, talk):
    owner, freelancer, c = talk
    earlier = message_send(conversation=c, sender=freelancer, body="Earlier")
    client.force_login(owner)
    response = client.post(
        reverse("conversation_detail", args=[c.pk]),
        {"body": "Via htmx", "after": earlier.pk},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Via htmx" in html
    assert "Earlier" not in html
    new = Message.objects.get(body="Via htmx")
    assert f'id="message-{new.pk}"' in html
    assert f"?after={new.pk}" in html
    assert 'id="composer"' in html
    assert 'hx-swap-oob="true"' in html


def test_htmx_empty_message_rerenders_form_in_place(client, talk):
    owner, _, c = talk
    client.force_login(owner)
    response = client.post(
        reverse("conversation_detail", args=[c.pk]), {"body": "  ", "after": 0}, headers=HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#composer"
    assert "Required." in response.content.decode()
    assert Message.objects.count() == 0


def test_poll_returns_messages_after_id_and_marks_read(client, talk):
    owner, freelancer, c = talk
    first = message_send(conversation=c, sender=owner, body="First")
    message_send(conversation=c, sender=owner, body="Second")
    client.force_login(freelancer)
    url = reverse("conversation_poll", args=[c.pk])
    response = client.get(url, {"after": first.pk}, headers=HTMX)
    html = response.content.decode()
    assert "Second" in html
    assert "First" not in html
    assert 'id="composer-after"' in html
    assert unread_total(user=freelancer) == 0
    assert client.get(url, {"after": "nonsense"}).status_code == 200


def test_attachment_download_for_members_only(client, talk):
    owner, freelancer, c = talk
    message_send(conversation=c, sender=owner, body="", attachments=[pdf_upload("Scope.pdf")])
    attachment = Message.objects.get().attachments.get()
    url = reverse("message_attachment", args=[c.pk, attachment.pk])
    client.force_login(freelancer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Scope.pdf"'
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    other = conversation(owner, freelancer_user())
    assert (
        client.get(reverse("message_attachment", args=[other.pk, attachment.pk])).status_code == 404
    )
    # Files of messages are never reachable through the general media route.
    assert client.get(f"/media/{attachment.file.name}").status_code == 404


def test_sending_too_fast_is_a_429_that_keeps_the_text(client, talk, monkeypatch):
    owner, _, c = talk
    monkeypatch.setattr(views, "MESSAGES", replace(MESSAGES, rate="2/10m"))
    client.force_login(owner)
    url = reverse("conversation_detail", args=[c.pk])
    for n in range(2):
        assert client.post(url, {"body": f"Message {n}"}).status_code == 302
    refused = client.post(url, {"body": "One more"})
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "sending messages too quickly" in page
    assert "One more" in page
    assert Message.objects.filter(conversation=c).count() == 2
