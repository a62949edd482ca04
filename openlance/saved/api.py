"""Saved jobs and freelancers (tag `saved`): list, save (PUT, idempotent) and unsave
(DELETE). Only what the caller may see can be saved; anything else is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from openlance.accounts.auth import request_user
from openlance.core.apitools import Page, PageQuery, paginate
from openlance.saved import selectors, services
from openlance.saved.models import SavedFreelancer, SavedJob

router = Router(tags=["saved"])


class SavedJobOut(Schema):
    job_id: int
    title: str
    state: str
    saved_at: datetime


class SavedFreelancerOut(Schema):
    freelancer_id: int
    name: str
    saved_at: datetime


def _job(saved: SavedJob) -> SavedJobOut:
    return SavedJobOut(
        job_id=saved.job_id, title=saved.job.title, state=saved.job.state, saved_at=saved.saved_at
    )


def _freelancer(saved: SavedFreelancer) -> SavedFreelancerOut:
    return SavedFreelancerOut(
        freelancer_id=saved.freelancer_id,
        name=saved.freelancer.public_name,
        saved_at=saved.saved_at,
    )


@router.get("/me/saved-jobs", response=Page[SavedJobOut], summary="Your saved jobs")
def saved_jobs(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(selectors.saved_jobs_of(user=request_user(request)), query)
    page["items"] = [_job(saved) for saved in page["items"]]
    return page


@router.put("/me/saved-jobs/{job_id}", response=SavedJobOut, summary="Save a job (freelancer)")
def job_save(request: HttpRequest, job_id: int) -> SavedJobOut:
    return _job(services.job_save(user=request_user(request), job_id=job_id))


@router.delete("/me/saved-jobs/{job_id}", response={204: None}, summary="Unsave a job")
def job_unsave(request: HttpRequest, job_id: int) -> Status[None]:
    services.job_unsave(user=request_user(request), job_id=job_id)
    return Status(204, None)


@router.get(
    "/me/saved-freelancers", response=Page[SavedFreelancerOut], summary="Your saved freelancers"
)
def saved_freelancers(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    page = paginate(selectors.saved_freelancers_of(client=request_user(request)), query)
    page["items"] = [_freelancer(saved) for saved in page["items"]]
    return page


@router.put(
    "/me/saved-freelancers/{user_id}",
    response=SavedFreelancerOut,
    summary="Save a freelancer (client)",
)
def freelancer_save(request: HttpRequest, user_id: int) -> SavedFreelancerOut:
    return _freelancer(
        services.freelancer_save(client=request_user(request), freelancer_id=user_id)
    )


@router.delete(
    "/me/saved-freelancers/{user_id}", response={204: None}, summary="Unsave a freelancer"
)
def freelancer_unsave(request: HttpRequest, user_id: int) -> Status[None]:
    services.freelancer_unsave(client=request_user(request), freelancer_id=user_id)
    return Status(204, None)
