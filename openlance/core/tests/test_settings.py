"""Settings refuse to run a production process (DEBUG off) without its own SECRET_KEY.

Each case imports the settings in a fresh interpreter, outside pytest (no PYTEST_VERSION),
as gunicorn, the Huey worker or manage.py would."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SETUP = (
    "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
)


def _run(tmp_path, code=SETUP, **env):
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "DEBUG", "PYTEST_VERSION", "PYTEST_XDIST_WORKER"}
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="openlance.settings", OPENLANCE_VAR_DIR=str(tmp_path), **env
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path):
    result = _run(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_no_debug_setting_at_all_is_production_too(tmp_path):
    result = _run(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_an_empty_secret_key_is_not_a_secret_key(tmp_path):
    result = _run(tmp_path, DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_off_with_a_secret_key_starts(tmp_path):
    key = "a-real-secret-key-for-this-test-only-0123456789-abcdefghijklmnop"
    result = _run(tmp_path, DEBUG="false", SECRET_KEY=key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_debug_on_uses_the_development_key_and_check_deploy_says_so(tmp_path):
    result = _run(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("django-insecure-")

    check = _run(
        tmp_path,
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy'])",
        DEBUG="true",
    )
    assert "security.W009" in check.stderr + check.stdout


def test_under_pytest_the_development_key_is_used(tmp_path):
    """Tests serve no one; pytest sets PYTEST_VERSION before any settings are imported."""
    result = _run(tmp_path, DEBUG="false", PYTEST_VERSION="9")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("django-insecure-")


def test_the_make_targets_development_key_is_flagged_by_check_deploy(tmp_path):
    """`make run` passes a django-insecure- key explicitly: it starts, and is flagged."""
    key = "django-insecure-openlance-make-run-development-key-0123456789"
    check = _run(
        tmp_path,
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy'])",
        DEBUG="false",
        SECRET_KEY=key,
    )
    assert "SECRET_KEY is not set" not in check.stderr
    assert "security.W009" in check.stderr + check.stdout


def test_a_web_process_sets_its_start_up_objects_aside_from_garbage_collection(tmp_path):
    """gunicorn imports openlance.wsgi: by then the views are imported and what start-up
    made is frozen, so Python's full collections no longer walk it between requests."""
    key = "a-real-secret-key-for-this-test-only-0123456789-abcdefghijklmnop"
    code = (
        "import gc, sys; import openlance.wsgi; "
        "print(gc.get_freeze_count(), 'openlance.jobs.views' in sys.modules)"
    )
    result = _run(tmp_path, code=code, DEBUG="false", SECRET_KEY=key)
    assert result.returncode == 0, result.stderr
    frozen, views_imported = result.stdout.split()
    assert int(frozen) > 50_000
    assert views_imported == "True"
