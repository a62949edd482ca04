from django.urls import URLPattern, path

from openlance.proposals import views

urlpatterns: list[URLPattern] = [
    path("", views.proposal_list, name="proposal_list"),
    path("new/<int:job_id>/", views.proposal_new, name="proposal_new"),
    path("<int:proposal_id>/", views.proposal_detail, name="proposal_detail"),
    path("<int:proposal_id>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("<int:proposal_id>/shortlist/", views.proposal_shortlist, name="proposal_shortlist"),
    path("<int:proposal_id>/archive/", views.proposal_archive, name="proposal_archive"),
    path("<int:proposal_id>/decline/", views.proposal_decline, name="proposal_decline"),
    path("<int:proposal_id>/message/", views.proposal_message, name="proposal_message"),
    path("job/<int:job_id>/", views.proposal_job_list, name="proposal_job_list"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:invitation_id>/", views.invitation_detail, name="invitation_detail"),
    path("invite/<int:user_id>/", views.invitation_new, name="invitation_new"),
]
