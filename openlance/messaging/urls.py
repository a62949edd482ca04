from django.urls import URLPattern, path

from openlance.messaging import views

urlpatterns: list[URLPattern] = [
    path("", views.inbox, name="inbox"),
    path("<int:conversation_id>/", views.conversation_detail, name="conversation_detail"),
    path("<int:conversation_id>/new/", views.conversation_poll, name="conversation_poll"),
    path(
        "<int:conversation_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="message_attachment",
    ),
]
