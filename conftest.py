import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Plain static storage (no collectstatic manifest needed) and in-memory email."""
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.HUEY["immediate"] = True


@pytest.fixture
def assert_ledger_sound(db):
    """Every money test ends by checking the ledger invariants of SPEC §8.1."""
    yield
    from openlance.ledger.checks import ledger_violations

    assert ledger_violations() == []
