"""Reactions of the jobs feature to its own events, delivered by the outbox worker."""

from __future__ import annotations

from openlance.core.mail import notify
from openlance.core.models import NotificationTopic, OutboxEvent
from openlance.core.services import event_handler
from openlance.jobs.models import JobPost


@event_handler("job.expiry_warning")
def warn_client_of_expiry(event: OutboxEvent) -> None:
    job = JobPost.objects.select_related("client").filter(pk=event.payload["job_id"]).first()
    if job is None or not job.is_open:
        return
    # A post with a hire that was kept open for more hires closes as hired, not expired.
    ends = "closes" if job.hires_count else "expires"
    notify(
        job.client,
        topic=NotificationTopic.JOBS,
        subject=f"Your job post “{job.title}” {ends} in 5 days",
        body=f"Your job post “{job.title}” has had no activity for 25 days and {ends} in "
        "5 days. Review its proposals, message a freelancer or edit the post to keep it open.",
        link_label="Your post",
        path=f"/jobs/{job.pk}/",
    )
