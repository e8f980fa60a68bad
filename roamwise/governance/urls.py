from __future__ import annotations

from django.urls import path

from . import views

app_name = "governance"

# Mounted under /privacy/ (the policy page itself is /privacy/, named "privacy_policy").
urlpatterns = [
    path("versions/<str:label>/", views.policy_version, name="policy_version"),
    path("versions/<str:label>/accept/", views.policy_accept, name="policy_accept"),
]
