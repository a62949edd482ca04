from django.urls import URLPattern, path

from openlance.saved import views

urlpatterns: list[URLPattern] = [
    path("jobs/", views.saved_jobs, name="saved_jobs"),
    path("freelancers/", views.saved_freelancers, name="saved_freelancers"),
    path("jobs/<int:job_id>/button/", views.job_button, name="saved_job_button"),
    path("jobs/<int:job_id>/", views.job_toggle, name="saved_job_toggle"),
    path(
        "freelancers/<int:user_id>/button/",
        views.freelancer_button,
        name="saved_freelancer_button",
    ),
    path("freelancers/<int:user_id>/", views.freelancer_toggle, name="saved_freelancer_toggle"),
]
