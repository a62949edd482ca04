from django.urls import URLPattern, path

from openlance.contracts import views
from openlance.contracts.offers import views as offer_views

urlpatterns: list[URLPattern] = [
    path("", views.contract_list, name="contracts"),
    path("offers/new/<int:proposal_id>/", offer_views.offer_new, name="offer_new"),
    path("offers/new/to/<int:user_id>/", offer_views.offer_new_direct, name="offer_new_direct"),
    path("offers/milestone-row/", offer_views.offer_milestone_row, name="offer_milestone_row"),
    path("offers/<int:offer_id>/", offer_views.offer_detail, name="offer_detail"),
    path("offers/<int:offer_id>/change/", offer_views.offer_edit, name="offer_edit"),
    path("offers/<int:offer_id>/withdraw/", offer_views.offer_withdraw, name="offer_withdraw"),
    path("offers/<int:offer_id>/decline/", offer_views.offer_decline, name="offer_decline"),
    path("offers/<int:offer_id>/accept/", offer_views.offer_accept, name="offer_accept"),
    path("<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path("<int:contract_id>/end/", views.contract_end, name="contract_end"),
    path("<int:contract_id>/messages/", views.contract_conversation, name="contract_conversation"),
    path("<int:contract_id>/amendments/", views.amendment_propose, name="amendment_propose"),
    path("<int:contract_id>/bonuses/", views.bonus_pay, name="bonus_pay"),
    path("<int:contract_id>/chat-proposals/", views.chat_proposals, name="contract_chat_proposals"),
    path(
        "<int:contract_id>/milestone-changes/",
        views.milestone_change_propose,
        name="milestone_change_propose",
    ),
    path("<int:contract_id>/refunds/", views.refund_make, name="refund_make"),
    path("<int:contract_id>/expenses/", views.expense_propose, name="expense_propose"),
    path("expenses/<int:expense_id>/fund/", views.expense_fund, name="expense_fund"),
    path("expenses/<int:expense_id>/receipt/", views.expense_receipt, name="expense_receipt"),
    path("expenses/<int:expense_id>/<str:answer>/", views.expense_answer, name="expense_answer"),
    path(
        "<int:contract_id>/refund-requests/",
        views.refund_request_open,
        name="refund_request_open",
    ),
    path(
        "refund-requests/<int:request_id>/<str:answer>/",
        views.refund_request_answer,
        name="refund_request_answer",
    ),
    path(
        "<int:contract_id>/hourly-terms/", views.hourly_terms_propose, name="hourly_terms_propose"
    ),
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
