from django.urls import path

from openlance.billing import card_views, views

urlpatterns = [
    path("export.csv", views.wallet_export, name="wallet_export"),
    path("withdraw/", views.withdraw, name="wallet_withdraw"),
    path("payouts/", views.payout_list, name="wallet_payouts"),
    path("methods/add/", views.payout_method_add, name="payout_method_add"),
    path(
        "methods/<int:method_id>/default/",
        views.payout_method_default,
        name="payout_method_default",
    ),
    path(
        "methods/<int:method_id>/remove/", views.payout_method_remove, name="payout_method_remove"
    ),
    path("schedule/", views.payout_schedule, name="payout_schedule"),
    path("cards/", card_views.card_list, name="card_list"),
    path("cards/add/", card_views.card_add, name="card_add"),
    path("cards/<int:card_id>/remove/", card_views.card_remove, name="card_remove"),
]
