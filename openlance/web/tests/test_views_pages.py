import re

import pytest
from django.test import Client

from openlance.accounts.tests.factories import client_user, freelancer_user
from openlance.core import clock
from openlance.core.policies import connects_policy_at
from openlance.messaging.services import message_send
from openlance.messaging.tests.factories import conversation

pytestmark = pytest.mark.django_db


def test_home_for_a_visitor_explains_openlance_and_offers_sign_up(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Freelance work with rules you can read" in html
    assert "/accounts/signup/" in html
    assert "/accounts/login/" in html
    assert "Openlance" in html


def test_home_for_a_signed_in_user_is_a_dashboard_with_role_and_links(client):
    user = freelancer_user(first_name="Ada")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "Welcome, Ada" in html
    assert "/wallet/" in html
    assert "/account/tokens/" in html
    assert 'name="role" value="client"' in html  # the header's role switch


def test_the_first_page_after_sign_up_shows_the_welcome_grant(client):
    """The grant is not left to the worker's delivery of the sign-up event: the header
    shows it on the first page."""
    user = freelancer_user(first_name="Ada")
    client.force_login(user)
    html = client.get("/").content.decode()
    welcome = connects_policy_at(clock.now()).welcome_grant
    assert welcome > 0
    assert f'data-testid="header-connects">{welcome} Connects' in html


def test_layout_has_navigation_account_menu_and_footer(client):
    client.force_login(client_user())
    html = client.get("/").content.decode()
    for link in ["/policies/", "/api/docs", "/fees/", "/account/", "/accounts/2fa/"]:
        assert link in html
    assert "/accounts/logout/" in html
    assert "web/app.css" in html
    assert 'rel="icon" href="/static/web/favicon.svg"' in html


def test_the_header_marks_the_page_and_shows_each_visitor_their_own_links(client):
    visitor = client.get("/search/jobs/").content.decode()
    assert '<a href="/search/jobs/" aria-current="page">Find work</a>' in visitor
    assert "csrfmiddlewaretoken" not in visitor
    assert "Operator console" not in visitor
    staff = freelancer_user(is_staff=True)
    client.force_login(staff)
    page = client.get("/policies/").content.decode()
    assert '<a href="/search/jobs/">Find work</a>' in page
    assert f'<a href="/freelancers/{staff.pk}/">My public profile</a>' in page
    assert '<a href="/admin/">Operator console</a>' in page


def test_the_header_counts_unread_messages_and_its_forms_take_the_page_token():
    chat = conversation()
    sender, reader = [member.user for member in chat.memberships.order_by("id")]
    message_send(conversation=chat, sender=sender, body="Hello")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    html = browser.get("/search/jobs/?q=a%27b").content.decode()
    assert '<span class="badge badge-brand nav-count" aria-label="1 unread">1</span>' in html
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) == 2  # the role switch and signing out
    assert set(tokens) == set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))
    assert 'name="next" value="/search/jobs/?q=a%27b"' in html
    switched = browser.post(
        "/account/role/",
        {"csrfmiddlewaretoken": tokens[0], "role": "client", "next": "/search/jobs/"},
    )
    assert switched.status_code == 302


def test_policies_page_is_public_and_shows_rules_in_words(client):
    response = client.get("/policies/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "20% of the first $500.00" in html
    assert "10% from $500.01 to $10,000.00" in html
    assert "5% of lifetime billings above $10,000.00" in html
    assert "3% of each payment" in html
    assert "$2.95" in html
    assert "$14.99 a month" in html
    assert "Job Success Score" in html
    # history: both presets, the latest in force, the classic one superseded
    assert "classic" in html
    assert "Superseded" in html
    assert "In force" in html
    # the calculator opens with the worked example: $600 → $110 fee, $490 net
    assert "$110.00" in html
    assert "$490.00" in html


def test_fee_calculator_quotes_a_payment(client):
    response = client.get(
        "/fees/", {"amount": "600.00", "lifetime_billed": "0", "first_payment_of_contract": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "$110.00" in html
    assert "$490.00" in html
    # client side: 3% of 600 = 18.00, plus 2.95 initiation → 620.95
    assert "$620.95" in html


def test_fee_calculator_answers_htmx_with_the_result_fragment_only(client):
    response = client.get(
        "/fees/", {"amount": "100", "lifetime_billed": "10000"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "$5.00" in html  # 5% above $10,000


def test_fee_calculator_shows_bad_amounts_as_field_errors(client):
    response = client.get("/fees/", {"amount": "12.345", "lifetime_billed": "abc"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Enter an amount in dollars and cents") == 2
    assert 'id="fee-result"' in html


def test_unknown_page_is_our_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "web/app.css" in response.content.decode()


def test_unknown_api_path_is_problem_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_server_error_page_renders_in_our_layout(rf):
    from openlance.web.views import server_error

    response = server_error(rf.get("/wallet/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    api = server_error(rf.get("/api/v1/me"))
    assert api["Content-Type"] == "application/problem+json"


def test_an_anonymous_page_without_a_form_to_post_sets_no_csrf_cookie_and_sign_in_does():
    browser = Client(enforce_csrf_checks=True)
    search = browser.get("/search/jobs/?q=writing")
    assert "csrftoken" not in search.cookies
    assert "X-CSRFToken" not in search.content.decode()
    sign_in = browser.get("/accounts/login/")
    assert sign_in.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in sign_in.content.decode()
