"""Reactions of the jobs feature to its own events, delivered by the outbox worker."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from openlance.core.models import OutboxEvent
from openlance.core.services import event_handler
from openlance.jobs.models import JobPost


@event_handler("job.expiry_warning")
def warn_client_of_expiry(event: OutboxEvent) -> None:
    job = JobPost.objects.select_related("client").filter(pk=event.payload["job_id"]).first()
    if job is None or not job.is_open:
        return
    # A post with a hire that was kept open for more hires closes as hired, not expired.
    ends = "closes" if job.hires_count else "expires"
    send_mail(
        subject=(
            f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your job post “{job.title}” {ends} in 5 days"
        ),
        message=(
            f"Hello {job.client.display_name},\n\n"
            f"Your job post “{job.title}” has had no activity for 25 days and {ends} in "
            "5 days. Review its proposals, message a freelancer or edit the post to keep it open:\n"
            f"{settings.SITE_URL}/jobs/{job.pk}/\n"
        ),
        from_email=None,
        recipient_list=[job.client.email],
    )
