"""The bare reference bench/http_search.py measures the site against: Openlance's settings
(its middleware, database and logging, which every request to the site pays for too) with
this module as the URLconf and one view in it. gunicorn serves it with the Procfile's web
line, given DJANGO_SETTINGS_MODULE=bench._http_reference."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from openlance.settings import *  # noqa: F403 (all of them, the URLconf aside)

ROOT_URLCONF = "bench._http_reference"


def open_jobs(request: HttpRequest) -> JsonResponse:
    """The 20 newest open public posts, id and title: one query on the listing index."""
    # Settings are imported before the apps are ready: the models only when serving.
    from openlance.jobs.models import JobPost, JobState, JobVisibility

    rows = (
        JobPost.objects.filter(state=JobState.OPEN, visibility=JobVisibility.PUBLIC)
        .order_by("-published_at", "-pk")
        .values("id", "title")[:20]
    )
    return JsonResponse({"items": list(rows)})


urlpatterns = [path("reference/jobs", open_jobs)]
