from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path(
        "api/v1/subscriptions/<str:iccid>",
        views.subscription_detail,
        name="subscription",
    ),
    path(
        "api/v1/subscriptions/<str:iccid>/suspend",
        views.subscription_suspend,
        name="subscription_suspend",
    ),
    path(
        "api/v1/subscriptions/<str:iccid>/resume",
        views.subscription_resume,
        name="subscription_resume",
    ),
    path(
        "api/v1/subscriptions/<str:iccid>/terminate",
        views.subscription_terminate,
        name="subscription_terminate",
    ),
    path("api/v1/subscriptions/<str:iccid>/bundles", views.bundles, name="bundles"),
    path("api/v1/admin/fault", views.fault_admin, name="fault_admin"),
]
