from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("supply/", views.supply, name="supply"),
    path("<slug:name>/", views.report, name="report"),
]
