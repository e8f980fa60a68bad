from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from ninja.openapi.views import openapi_view

from roamwise.api import api
from roamwise.core import views as core_views
from roamwise.datamap import views as datamap_views

# The back office signs staff in through allauth, so MFA applies there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Roamwise back office"
admin.site.site_title = "Roamwise back office"


def api_docs(request: HttpRequest) -> HttpResponse:
    return openapi_view(request, api=api)


urlpatterns = [
    path("", include("roamwise.catalog.urls")),
    path("", include("roamwise.orders.urls")),
    path("payments/", include("roamwise.payments.urls")),
    # The simulated payment processor: a separate system on its own prefix.
    path("gateway/", include("roamwise.gateway.urls")),
    # The SM-DP+ simulator (ES2+ server), also runnable alone: manage.py run_smdp.
    path("smdp/", include("roamwise.smdp.urls")),
    path("esims/", include("roamwise.esims.urls")),
    path("devices/", include("roamwise.devices.urls")),
    # The network partner simulator: a separate system on its own prefix.
    path("network/", include("roamwise.network.urls")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("roamwise.accounts.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api_docs"),
    path(
        "admin/records-of-processing/",
        datamap_views.records_of_processing,
        name="records_of_processing",
    ),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("privacy/", core_views.privacy_policy, name="privacy_policy"),
    path("cookies/", core_views.cookie_settings, name="cookie_settings"),
]
