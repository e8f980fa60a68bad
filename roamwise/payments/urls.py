from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<str:processor>/", views.webhook, name="webhook"),
]
