"""Eight threads send the same proposal at once (a double-clicked button, a retried
request). The post's row lock must serialize them: one proposal, one spend, one count.
PostgreSQL only (SQLite has a single writer, so there is no race to prove there)."""

import threading

import pytest
from django.db import connection, connections

from openlance.connects.checks import connects_violations
from openlance.connects.models import ConnectsMove, MoveKind
from openlance.connects.selectors import connects_balance
from openlance.core.errors import Conflict
from openlance.jobs.models import JobPost
from openlance.jobs.tests.factories import job_post
from openlance.proposals.models import Proposal
from openlance.proposals.services import proposal_submit
from openlance.proposals.tests.factories import draft_for, funded_freelancer

THREADS = 8

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (.ci/run runs it)"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_proposal_submitted_by_eight_threads_is_created_and_charged_once():
    job = job_post()
    user = funded_freelancer(connects=40)
    draft = draft_for(job)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            barrier.wait()
            try:
                proposal_submit(freelancer=user, job=job, draft=draft)
                result = "sent"
            except Conflict:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["sent"]
    assert Proposal.objects.filter(job=job, freelancer=user).count() == 1
    assert ConnectsMove.objects.filter(account__user=user, kind=MoveKind.SPEND).count() == 1
    assert connects_balance(user=user) == 40 - Proposal.objects.get(job=job).connects_cost
    assert JobPost.objects.get(pk=job.pk).proposals_count == 1
    assert connects_violations() == []
