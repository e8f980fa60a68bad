from django.urls import path

from . import views

app_name = "gateway"

urlpatterns = [
    path("v1/sessions", views.api_sessions, name="api_sessions"),
    path("v1/sessions/<str:session_id>", views.api_session, name="api_session"),
    path("v1/sessions/<str:session_id>/dispute", views.api_dispute, name="api_dispute"),
    path("v1/refunds", views.api_refunds, name="api_refunds"),
    path("v1/admin/fault", views.fault_admin, name="fault_admin"),
    path("pay/<str:session_id>/", views.hosted_page, name="pay"),
    path("pay/<str:session_id>/challenge/", views.challenge_page, name="challenge"),
]
