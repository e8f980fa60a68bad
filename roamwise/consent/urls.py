from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    path("choose/", views.consent_choose, name="choose"),
    path("objections/", views.objections_update, name="objections"),
]
