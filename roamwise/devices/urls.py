from django.urls import path

from . import views

app_name = "devices"

urlpatterns = [
    path("compatibility/", views.compatibility, name="compatibility"),
]
