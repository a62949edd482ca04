"""Saving and unsaving, each idempotent: saving twice keeps one row, unsaving what is not
saved changes nothing. Only what the user may see can be saved (anything else: 404)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from openlance.accounts.models import User
from openlance.core import clock
from openlance.core.errors import Conflict, NotFound, require_id
from openlance.jobs.selectors import jobs_visible_to
from openlance.profiles.selectors import Access, freelancer_get, profile_access
from openlance.saved.models import SavedFreelancer, SavedJob


def _require_role(user: User, role: str) -> None:
    if not getattr(user, f"is_{role}"):
        raise Conflict(f"Only a {role} saves these: add the {role} role to your account.")


def job_save(*, user: User, job_id: int) -> SavedJob:
    _require_role(user, "freelancer")
    require_id(job_id, "job post")
    job = jobs_visible_to(viewer=user).filter(pk=job_id).first()
    if job is None:
        raise NotFound("No such job post.")
    try:
        with transaction.atomic():
            saved, _ = SavedJob.objects.get_or_create(
                user=user, job=job, defaults={"saved_at": clock.now()}
            )
    except IntegrityError:  # saved by a concurrent request just now
        saved = SavedJob.objects.get(user=user, job=job)
    return saved


def job_unsave(*, user: User, job_id: int) -> None:
    require_id(job_id, "job post")
    SavedJob.objects.filter(user=user, job_id=job_id).delete()


def freelancer_save(*, client: User, freelancer_id: int) -> SavedFreelancer:
    _require_role(client, "client")
    freelancer = freelancer_get(user_id=freelancer_id)
    if freelancer.user_id == client.pk or (
        profile_access(freelancer=freelancer, viewer=client) != Access.FULL
    ):
        raise NotFound("No such freelancer.")
    try:
        with transaction.atomic():
            saved, _ = SavedFreelancer.objects.get_or_create(
                client=client, freelancer=freelancer.user, defaults={"saved_at": clock.now()}
            )
    except IntegrityError:
        saved = SavedFreelancer.objects.get(client=client, freelancer=freelancer.user)
    return saved


def freelancer_unsave(*, client: User, freelancer_id: int) -> None:
    require_id(freelancer_id, "freelancer")
    SavedFreelancer.objects.filter(client=client, freelancer_id=freelancer_id).delete()
