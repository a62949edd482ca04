"""`manage.py demo_load`: what it creates, that a second run adds nothing, and that a demo
account can really sign in through the site."""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import call_command

from openlance.accounts.models import User
from openlance.billing.models import SandboxOperation
from openlance.ledger.checks import ledger_violations
from openlance.ledger.models import AccountKind, Entry, LedgerAccount, Transfer
from openlance.web.management.commands import demo_load

CHROMIUM = "/usr/bin/chromium"


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "emails": EmailAddress.objects.count(),
        "accounts": LedgerAccount.objects.count(),
        "transfers": Transfer.objects.count(),
        "entries": Entry.objects.count(),
        "charges": SandboxOperation.objects.count(),
    }


def _load() -> str:
    out = StringIO()
    call_command("demo_load", "--no-progress", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_load_creates_the_demo_marketplace() -> None:
    output = _load()

    assert "ledger sound" in output
    operator = User.objects.get(email=demo_load.OPERATOR_EMAIL)
    assert operator.is_superuser
    assert operator.is_staff
    assert operator.check_password(demo_load.DEMO_PASSWORD)

    for group_name in demo_load.STAFF_MEMBERS:
        member = User.objects.get(email=demo_load.staff_email(group_name))
        assert member.is_staff
        assert not member.is_superuser
        assert list(member.groups.values_list("name", flat=True)) == [group_name]
    assert set(Group.objects.values_list("name", flat=True)) >= set(demo_load.STAFF_MEMBERS)

    freelancers = User.objects.filter(is_freelancer=True, is_client=False)
    clients = User.objects.filter(is_client=True, is_freelancer=False)
    assert freelancers.count() == demo_load.FREELANCER_COUNT
    assert clients.count() == demo_load.CLIENT_COUNT
    assert all(c.active_role == "client" for c in clients)
    assert all(u.first_name and u.last_name for u in User.objects.all())

    # Every demo account can sign in: its address is verified and primary.
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == User.objects.count()

    expected: dict[int, int] = {}
    for number, cents in demo_load.DEPOSITS:
        expected[number] = expected.get(number, 0) + cents
    for number, cents in expected.items():
        funding = LedgerAccount.objects.get(
            kind=AccountKind.CLIENT_FUNDING, owner__email=demo_load.client_email(number)
        )
        assert funding.balance_cents == cents
    assert Transfer.objects.filter(kind="deposit").count() == len(demo_load.DEPOSITS)
    assert ledger_violations() == []


@pytest.mark.django_db
def test_demo_load_twice_adds_nothing() -> None:
    _load()
    first = _counts()
    names = dict(User.objects.values_list("email", "last_name"))

    output = _load()

    assert _counts() == first
    assert dict(User.objects.values_list("email", "last_name")) == names
    assert "0 freelancers" in output
    assert "0 deposits" in output
    assert ledger_violations() == []


@pytest.mark.django_db
def test_demo_load_keeps_what_people_changed() -> None:
    _load()
    user = User.objects.get(email=demo_load.freelancer_email(3))
    user.first_name = "Renamed"
    user.set_password("a-new-password-42")
    user.save()

    _load()

    user.refresh_from_db()
    assert user.first_name == "Renamed"
    assert user.check_password("a-new-password-42")


@pytest.mark.django_db
def test_demo_names_are_seeded_per_person() -> None:
    """Seeded per person: the same email always gets the same name."""
    _load()
    names = {u.email: (u.first_name, u.last_name) for u in User.objects.all()}
    fake = demo_load.DemoContext(password="").person("freelancer", 7)
    assert names[demo_load.freelancer_email(7)] == (fake.first_name(), fake.last_name())


@pytest.mark.django_db
def test_demo_load_is_quiet_at_verbosity_zero() -> None:
    out = StringIO()
    call_command("demo_load", verbosity=0, stdout=out)
    assert out.getvalue() == ""


# --- In a real browser --------------------------------------------------------------------


@pytest.fixture
def chromium_page(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A page in Debian's headless Chromium, driven by Playwright.

    Uses the shared session browser (the `chromium` fixture of web/tests/conftest.py) when
    there is one: a second Playwright instance cannot start while that one runs. Skips where
    Chromium is not installed, except under CI=true, where a missing browser is a failure."""
    try:
        shared = request.getfixturevalue("chromium")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        context = shared.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        return

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{CHROMIUM} is missing; CI installs Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page actions are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_client_signs_in_with_the_documented_password(
    live_server: Any, chromium_page: Any
) -> None:
    # A transactional test before this one may have flushed what migrations wrote.
    for name in demo_load.STAFF_MEMBERS:
        Group.objects.get_or_create(name=name)
    call_command("demo_load", verbosity=0)
    page = chromium_page
    email = demo_load.client_email(1)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", demo_load.DEMO_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    me = page.evaluate("() => fetch('/api/v1/me').then(r => r.json())")
    assert me["email"] == email
    assert ledger_violations() == []
