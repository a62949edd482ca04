"""The notification centre (SPEC §14, issue 15): every email a feature sends is also a
notification on the site; a bell with the unread count; a list with filters; marking read;
email choices per topic with a one-click unsubscribe in every non-essential email, while
money, account and dispute emails always go."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from openlance.accounts.services import token_create
from openlance.accounts.tests.factories import freelancer_user
from openlance.core.errors import Conflict
from openlance.core.mail import notify, unsubscribe_token
from openlance.core.models import EmailOptOut, Notification, NotificationTopic
from openlance.notifications.services import email_preference_set

pytestmark = pytest.mark.django_db


def tell(user, topic=NotificationTopic.MESSAGES, subject="A new message"):
    return notify(
        user, topic=topic, subject=subject, body="Ada wrote.", link_label="Read", path="/messages/"
    )


def test_a_notice_is_in_the_centre_and_the_inbox_with_an_unsubscribe_unless_essential():
    user = freelancer_user()
    tell(user)
    tell(user, NotificationTopic.MONEY, "Payment released")
    assert Notification.objects.filter(user=user).count() == 2
    chat, money = mail.outbox
    assert chat.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in chat.extra_headers["List-Unsubscribe"]
    assert "Stop these emails:" in chat.body
    assert "List-Unsubscribe" not in money.extra_headers
    assert "Stop these emails" not in money.body


def test_a_topic_turned_off_still_notifies_on_the_site_and_essential_ones_cannot_be():
    user = freelancer_user()
    email_preference_set(user_id=user.pk, topic=NotificationTopic.MESSAGES, email=False)
    email_preference_set(user_id=user.pk, topic=NotificationTopic.MESSAGES, email=False)
    tell(user)
    assert mail.outbox == []
    assert Notification.objects.filter(user=user).count() == 1
    with pytest.raises(Conflict):
        email_preference_set(user_id=user.pk, topic=NotificationTopic.MONEY, email=False)
    email_preference_set(user_id=user.pk, topic=NotificationTopic.MESSAGES, email=True)
    tell(user)
    assert len(mail.outbox) == 1


def test_the_one_click_unsubscribe_works_signed_out_and_refuses_a_forged_link():
    user = freelancer_user()
    tell(user)
    link = re.search(
        r"<https?://[^/]+(/notifications/unsubscribe/[^>]+)>",
        mail.outbox[0].extra_headers["List-Unsubscribe"],
    )
    assert link
    browser = Client(enforce_csrf_checks=True)
    assert "Stop getting this kind of email" in browser.get(link.group(1)).content.decode()
    done = browser.post(link.group(1))
    assert done.status_code == 200
    assert 'data-testid="unsubscribed"' in done.content.decode()
    assert EmailOptOut.objects.filter(user=user, topic="messages").exists()
    forged = unsubscribe_token(user.pk, "messages")[:-3] + "abc"
    assert browser.post(f"/notifications/unsubscribe/{forged}/").status_code == 400
    essential = unsubscribe_token(user.pk, "money")
    assert browser.post(f"/notifications/unsubscribe/{essential}/").status_code == 400


def test_the_bell_the_list_and_reading_them(client):
    user = freelancer_user()
    first = tell(user)
    tell(user, NotificationTopic.MONEY, "Payment released")
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'data-testid="header-unread" aria-hidden="true">2<' in home
    money_only = client.get("/notifications/", {"topic": "money"}).content.decode()
    assert "Payment released" in money_only
    assert "A new message" not in money_only
    opened = client.get(f"/notifications/{first.pk}/")
    assert opened["Location"] == "/messages/"
    first.refresh_from_db()
    assert first.read_at is not None
    unread = client.get("/notifications/", {"unread": "1"}).content.decode()
    assert "A new message" not in unread
    client.post("/notifications/read-all/")
    assert 'data-testid="header-unread"' not in client.get("/").content.decode()
    stranger = Client()
    stranger.force_login(freelancer_user())
    assert stranger.get(f"/notifications/{first.pk}/").status_code == 404


def test_email_choices_page_and_the_api():
    user = freelancer_user()
    tell(user)
    browser = Client()
    browser.force_login(user)
    page = browser.get("/notifications/preferences/").content.decode()
    assert 'value="money" checked disabled' in page
    browser.post("/notifications/preferences/", {"email": ["jobs"]})
    assert set(EmailOptOut.objects.filter(user=user).values_list("topic", flat=True)) == {
        "contracts",
        "hourly",
        "proposals",
        "messages",
        "feedback",
    }
    token = token_create(user=user, name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    listed = api.get("/api/v1/notifications", {"unread": "true"}).json()
    assert [item["title"] for item in listed["items"]] == ["A new message"]
    notification_id = listed["items"][0]["id"]
    assert api.post(f"/api/v1/notifications/{notification_id}/read").json()["read_at"]
    assert api.post(
        "/api/v1/notifications/read-all", {}, content_type="application/json"
    ).json() == {"marked_read": 0}
    on = api.put(
        "/api/v1/me/notification-preferences/messages",
        {"email": True},
        content_type="application/json",
    )
    assert {c["topic"]: c["email"] for c in on.json()}["messages"] is True
    refused = api.put(
        "/api/v1/me/notification-preferences/money",
        {"email": False},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert (
        api.put(
            "/api/v1/me/notification-preferences/nope",
            {"email": 1},
            content_type="application/json",
        ).status_code
        == 404
    )
