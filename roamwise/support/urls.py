from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("complaints/", views.complaints, name="complaints"),
    path("confirm/<str:token>/", views.ticket_confirm, name="confirm"),
    path("access/<str:token>/", views.ticket_access, name="access"),
    path("inbound-email", views.inbound_email, name="inbound_email"),
    path("tickets/<str:public_id>/", views.ticket_detail, name="detail"),
    path("tickets/<str:public_id>/thread/", views.ticket_thread, name="thread"),
    path(
        "tickets/<str:public_id>/attachments/<str:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
