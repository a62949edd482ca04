from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from openlance.core import clock
from openlance.jobs.models import JobPost, JobState
from openlance.jobs.tests.factories import job_post

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_run_due_by_hand_warns_then_expires():
    job = job_post()
    day_25 = (clock.now() + timedelta(days=25)).isoformat()
    day_30 = (clock.now() + timedelta(days=30)).isoformat()
    assert _run("jobs_run_due", "--now", day_25).startswith("1 post(s) warned of expiry, 0 post")
    assert _run("jobs_run_due", "--now", day_25).startswith("0 post(s) warned")
    assert "1 post(s) expired" in _run("jobs_run_due", "--now", day_30)
    job.refresh_from_db()
    assert job.state == JobState.EXPIRED


@pytest.mark.parametrize("bad", ["tomorrow", "2026-06-24T14:00:00"])
def test_run_due_refuses_a_bad_time_and_changes_nothing(bad):
    job = job_post()
    JobPost.objects.filter(pk=job.pk).update(
        last_client_activity_at=clock.now() - timedelta(days=40)
    )
    with pytest.raises(CommandError):
        _run("jobs_run_due", "--now", bad)
    job.refresh_from_db()
    assert (job.state, job.expiry_warned_at) == (JobState.OPEN, None)
