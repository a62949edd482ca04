"""A user's saved items, newest first, with what their lists show; and whether one thing is
saved (for its page's button)."""

from __future__ import annotations

from django.db.models import QuerySet

from openlance.accounts.models import User
from openlance.saved.models import SavedFreelancer, SavedJob


def saved_jobs_of(*, user: User) -> QuerySet[SavedJob]:
    return SavedJob.objects.filter(user=user).select_related("job__category", "job__client")


def saved_freelancers_of(*, client: User) -> QuerySet[SavedFreelancer]:
    return SavedFreelancer.objects.filter(client=client).select_related("freelancer__freelancer")


def job_is_saved(*, user: User, job_id: int) -> bool:
    return SavedJob.objects.filter(user=user, job_id=job_id).exists()


def freelancer_is_saved(*, client: User, freelancer_id: int) -> bool:
    return SavedFreelancer.objects.filter(client=client, freelancer_id=freelancer_id).exists()
