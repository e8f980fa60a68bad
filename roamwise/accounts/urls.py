from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_settings, name="settings"),
    path("phone/", views.phone_update, name="phone_update"),
    path("data-access/", views.data_access, name="data_access"),
    path("close/", views.account_close, name="close"),
    path("awaiting-consent/", views.awaiting_parental_consent, name="awaiting_parental_consent"),
]
