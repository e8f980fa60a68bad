from django.urls import path

from roamwise.suppliers import views

app_name = "suppliers"
urlpatterns = [
    path("webhooks/airalo/", views.airalo_webhook, name="airalo-webhook"),
    path("webhooks/esimgo/", views.esimgo_webhook, name="esimgo-webhook"),
    path("webhooks/esimaccess/<str:token>/", views.esimaccess_webhook, name="esimaccess-webhook"),
]
