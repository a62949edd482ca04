from django.urls import URLPattern, path

from openlance.contracts import views

urlpatterns: list[URLPattern] = [
    path("<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path("<int:contract_id>/end/", views.contract_end, name="contract_end"),
    path("<int:contract_id>/messages/", views.contract_conversation, name="contract_conversation"),
    path("<int:contract_id>/amendments/", views.amendment_propose, name="amendment_propose"),
    path(
        "amendments/<int:amendment_id>/<str:answer>/",
        views.amendment_answer,
        name="amendment_answer",
    ),
    path("milestones/<int:milestone_id>/fund/", views.milestone_fund, name="milestone_fund"),
    path("milestones/<int:milestone_id>/submit/", views.milestone_submit, name="milestone_submit"),
    path(
        "milestones/<int:milestone_id>/approve/", views.milestone_approve, name="milestone_approve"
    ),
    path(
        "milestones/<int:milestone_id>/changes/",
        views.milestone_request_changes,
        name="milestone_request_changes",
    ),
    path("milestones/<int:milestone_id>/cancel/", views.milestone_cancel, name="milestone_cancel"),
    path("files/<int:file_id>/", views.submission_file, name="contract_submission_file"),
]
