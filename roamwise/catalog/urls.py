from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("destinations/", views.destination_list, name="destination_list"),
    path("destinations/suggest/", views.destination_suggest, name="destination_suggest"),
    path("destinations/<slug:slug>/", views.destination_detail, name="destination_detail"),
    path("plans/<uuid:public_id>/", views.plan_detail, name="plan_detail"),
]
