import pytest
from django.core.cache import caches
from huey.contrib.djhuey import HUEY


@pytest.fixture(autouse=True, scope="session")
def _huey_runs_tasks_inline():
    """Tasks run in the test's own process and never touch the developer's queue file."""
    HUEY.immediate = True


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Plain static storage (no collectstatic manifest needed), in-memory email, and
    uploads in a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        "default": {"BACKEND": "openlance.core.media_storage.MediaStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_drawn_fragments_carry_over():
    """Each process keeps drawn fragments in memory, keyed by the catalog's shape; a test
    database rolled back can repeat a shape with other names, so each test starts empty."""
    yield
    caches["fragments"].clear()


@pytest.fixture
def assert_ledger_sound(db):
    """Every money test ends by checking the ledger invariants of SPEC §8.1, and that every
    relationship and payment record equals what the ledger booked."""
    yield
    from openlance.billing.checks import payment_violations
    from openlance.ledger.checks import ledger_violations

    assert ledger_violations() == []
    assert payment_violations() == []


@pytest.fixture
def assert_connects_sound(db):
    """Connects tests end by proving the Connects ledger (lots, moves, balances) exact."""
    yield
    from openlance.connects.checks import connects_violations

    assert connects_violations() == []


@pytest.fixture(autouse=True)
def _email_links_lead_to_pages():
    """Every link to the site in every email a test sends is a page the URL conf serves
    (the verification email once linked to a 404)."""
    yield
    import re

    from django.conf import settings
    from django.core import mail
    from django.urls import Resolver404, resolve

    site = settings.SITE_URL.rstrip("/")
    for message in getattr(mail, "outbox", []):
        for link in re.findall(re.escape(site) + r"(/[^\s\"'<>]*)", message.body):
            path = link.split("#", 1)[0].split("?", 1)[0]
            try:
                resolve(path)
            except Resolver404:
                pytest.fail(f"The email “{message.subject}” links to {link}, which is no page.")


@pytest.fixture
def race():
    """Two racers for the PostgreSQL race tests (`openlance.core.tests.racers`)."""
    from openlance.core.tests.racers import Racers

    racers = Racers(2)
    yield racers
    racers.close()


@pytest.fixture
def lose_card_answers(monkeypatch):
    """Called, the sandbox goes on taking cards' money but its answers are lost on the way
    back (PaymentGatewayUnavailable), as after a network cut, until `monkeypatch.undo()`."""
    from openlance.billing import gateway

    real = gateway.SandboxGateway.charge

    def taken_but_unanswered(self, **kwargs):
        real(self, **kwargs)
        raise gateway.PaymentGatewayUnavailable("the answer was lost")

    return lambda: monkeypatch.setattr(gateway.SandboxGateway, "charge", taken_but_unanswered)


@pytest.fixture
def walk_compilations(monkeypatch):
    """The orders of the search walks (searches without text) compiled from now on, with
    an empty statement cache: a test can tell a statement compiled from one reused."""
    from openlance.core.prepared import StatementCache
    from openlance.search import pages

    monkeypatch.setattr(pages, "_RANKINGS", StatementCache(size=256))
    compiled: list[list[str]] = []
    walk = pages._walk_sql

    def compile_walk(*args, **kwargs):
        compiled.append(kwargs["order"])
        return walk(*args, **kwargs)

    monkeypatch.setattr(pages, "_walk_sql", compile_walk)
    return compiled


@pytest.fixture
def account_locks(monkeypatch):
    """The ledger's lock sweeps (`accounts_lock`, wherever it is called from) and transfers,
    in order, each as ("lock" or "transfer", the account ids); `assert_swept()` tells that
    every transfer's accounts were locked together before the first of them posted."""
    import sys

    from openlance.ledger import services as ledger

    class Events(list):
        def assert_swept(self) -> None:
            """Every transfer's accounts were locked by the sweep before it, which came
            first."""
            assert self
            assert self[0][0] == "lock", self
            swept: set[int] = set()
            for kind, accounts in self:
                if kind == "lock":
                    swept = accounts
                else:
                    assert accounts <= swept, (accounts, swept)

    events = Events()
    validate = ledger._validate_legs

    def validate_and_record(legs):
        events.append(("transfer", {account.pk for account, _ in legs}))
        return validate(legs)

    def lock_and_record(accounts):
        accounts = list(accounts)
        events.append(("lock", {account.pk for account in accounts}))
        return ledger.accounts_lock(accounts)

    monkeypatch.setattr(ledger, "_validate_legs", validate_and_record)
    for module in list(sys.modules.values()):
        if getattr(module, "accounts_lock", None) is ledger.accounts_lock and module is not ledger:
            monkeypatch.setattr(module, "accounts_lock", lock_and_record)
    return events
