from django.urls import URLPattern, path

from openlance.disputes import views

urlpatterns: list[URLPattern] = [
    path("", views.my_disputes, name="disputes"),
    path("queue/", views.mediation_queue, name="mediation_queue"),
    path("<int:dispute_id>/", views.dispute_detail, name="dispute_detail"),
    path("<int:dispute_id>/respond/", views.dispute_respond, name="dispute_respond"),
    path(
        "<int:dispute_id>/proposal/<str:answer>/",
        views.dispute_proposal_answer,
        name="dispute_proposal_answer",
    ),
    path("<int:dispute_id>/propose/", views.dispute_propose, name="dispute_propose"),
    path("<int:dispute_id>/arbitrate/", views.dispute_arbitrate, name="dispute_arbitrate"),
    path("<int:dispute_id>/hours/", views.dispute_decide_hours, name="dispute_decide_hours"),
    path("<int:dispute_id>/concede/", views.dispute_concede, name="dispute_concede"),
    path(
        "<int:dispute_id>/files/<str:kind>/<int:document_id>/",
        views.case_document,
        name="dispute_case_document",
    ),
    path(
        "contracts/<int:contract_id>/end/",
        views.contract_end_disputed,
        name="contract_end_disputed",
    ),
    path("expenses/<int:expense_id>/", views.expense_dispute_detail, name="expense_dispute_detail"),
    path(
        "expenses/<int:expense_id>/open/", views.expense_dispute_open, name="expense_dispute_open"
    ),
    path("invoices/<int:invoice_id>/", views.invoice_dispute_detail, name="invoice_dispute_detail"),
    path("invoices/<int:invoice_id>/open/", views.invoice_dispute_open, name="invoice_dispute"),
    path("milestones/<int:milestone_id>/", views.milestone_dispute, name="milestone_dispute"),
    path(
        "refund-requests/<int:request_id>/",
        views.refund_dispute_detail,
        name="refund_dispute_detail",
    ),
    path(
        "refund-requests/<int:request_id>/open/",
        views.refund_dispute_open,
        name="refund_dispute_open",
    ),
    path("milestones/<int:milestone_id>/open/", views.dispute_open, name="dispute_open"),
]
