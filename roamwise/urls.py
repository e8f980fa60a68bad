from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from ninja.openapi.views import openapi_view

from roamwise.accounts import views as accounts_views
from roamwise.accounts.password_reset import PublicIdResetPasswordView
from roamwise.analytics import views as analytics_views
from roamwise.api import api
from roamwise.catalog.sitemaps import SITEMAPS
from roamwise.consent import views as consent_views
from roamwise.core import views as core_views
from roamwise.datamap import views as datamap_views
from roamwise.governance import views as governance_views
from roamwise.rights import parent_decision

# The back office signs staff in through allauth, so MFA applies there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def api_docs(request: HttpRequest) -> HttpResponse:
    return openapi_view(request, api=api)


urlpatterns = [
    path("", include("roamwise.catalog.urls")),
    path("", include("roamwise.orders.urls")),
    path("payments/", include("roamwise.payments.urls")),
    # No stand-in for an outside party (payment processor, SM-DP+, network
    # partner) is ever mounted here: each runs as its own process (ADR 0018).
    path("esims/", include("roamwise.esims.urls")),
    # Notifications from eSIM wholesalers (ADR 0020).
    path("suppliers/", include("roamwise.suppliers.urls")),
    path("devices/", include("roamwise.devices.urls")),
    path("support/", include("roamwise.support.urls")),
    path("notifications/", include("roamwise.notifications.urls")),
    # Sign-up and sign-in verify an address by a code (settings); allauth then
    # drops its link, which a change of address staff ask for still needs:
    # its owner has no session waiting for a code (ADR 0002).
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$",
        accounts_views.confirm_email_link,
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    # A parent's decision on a child's account: refusing erases it, so the page
    # is composed in rights, which apps never import (ADR 0010).
    path(
        "account/parental-consent/<str:token>/",
        parent_decision.parental_consent,
        name="parental_consent",
    ),
    path("account/", include("roamwise.accounts.urls")),
    # The privacy center and data-subject requests (issue 9).
    path("rights/", include("roamwise.rights.urls")),
    # Reset keys name the account by its public id (accounts.adapter).
    path(
        "_allauth/app/v1/auth/password/reset",
        PublicIdResetPasswordView.as_api_view(client="app"),
    ),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api_docs"),
    path(
        "admin/records-of-processing/",
        datamap_views.records_of_processing,
        name="records_of_processing",
    ),
    path("admin/analytics/", analytics_views.dashboard, name="analytics_dashboard"),
    path("admin/processors/", governance_views.processors, name="processors_registry"),
    path("admin/reports/", include("roamwise.reports.urls")),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("livez", core_views.livez, name="livez"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics_view, name="metrics"),
    path("shop/logo", core_views.shop_logo, name="shop_logo"),
    path("shop/favicon", core_views.shop_favicon, name="shop_favicon"),
    path("shop/theme.css", core_views.shop_theme, name="shop_theme"),
    path("i18n/language/", accounts_views.language_set, name="set_language"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("help/", include("roamwise.help.urls")),
    path("terms/", governance_views.terms, name="terms"),
    path("terms/versions/<str:label>/", governance_views.terms_version, name="terms_version"),
    path("company/", governance_views.company, name="company"),
    path("privacy/", governance_views.privacy_policy, name="privacy_policy"),
    path("privacy/", include("roamwise.governance.urls")),
    path("cookies/", consent_views.cookie_settings, name="cookie_settings"),
    path("cookies/policy/", consent_views.cookie_policy, name="cookie_policy"),
    path("consent/", include("roamwise.consent.urls")),
    path("analytics/", include("roamwise.analytics.urls")),
]

# allauth answers its rate limits with this page; it adds Retry-After (USE-05).
handler429 = "roamwise.accounts.ratelimit.too_many_requests"
