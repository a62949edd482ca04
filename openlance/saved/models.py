"""What people keep to come back to (issue 15): a freelancer's saved job posts and a
client's saved freelancers. Each is a relationship row, unique per pair."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from openlance.jobs.models import JobPost


class SavedJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_jobs"
    )
    job = models.ForeignKey(JobPost, on_delete=models.CASCADE, related_name="saved_by")
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["-saved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "job"], name="saved_job_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job} saved by {self.user}"


class SavedFreelancer(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_freelancers"
    )
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_by_clients"
    )
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["-saved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "freelancer"], name="saved_freelancer_once"),
            models.CheckConstraint(
                condition=~models.Q(client=models.F("freelancer")),
                name="saved_freelancer_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.freelancer} saved by {self.client}"
