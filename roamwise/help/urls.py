from django.urls import path

from . import views

app_name = "help"

urlpatterns = [
    path("", views.help_index, name="index"),
    path("install/<slug:platform>/", views.install_guide, name="install"),
]
