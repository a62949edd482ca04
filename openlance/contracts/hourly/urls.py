from django.urls import URLPattern, path

from openlance.contracts.hourly import views

urlpatterns: list[URLPattern] = [
    path("<int:contract_id>/timesheet/", views.timesheet_page, name="timesheet"),
    path("<int:contract_id>/timesheet/entries/", views.time_entry_add, name="time_entry_add"),
    path("<int:contract_id>/hourly-card/", views.hourly_card, name="contract_hourly_card"),
    path("time-entries/<int:entry_id>/", views.time_entry_change, name="time_entry_change"),
    path("hourly/owed/", views.hourly_owed, name="hourly_owed"),
    path("<int:contract_id>/pause/<str:action>/", views.contract_pause, name="contract_pause"),
    path("<int:contract_id>/invoice-card/", views.hourly_card_set, name="hourly_card_set"),
]
