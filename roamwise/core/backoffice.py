"""The back office's index, grouped by the task at hand rather than by app.

Django lists models app by app ("Accounts", "Usage", ...), which is how the
code is cut, not how a shop is run. ``BackOfficeSite`` sorts every registered
model into one of a few tasks, and adds the pages that are not models (the
analytics dashboard, the records of processing) where staff look for them.
A model not named below falls back to its app's task, then to Settings.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

SELL = "sell"
CUSTOMERS = "customers"
ESIMS = "esims"
SUPPORT = "support"
PRIVACY = "privacy"
REPORTS = "reports"
SETTINGS = "settings"

TASKS = {
    SELL: _("Sell"),
    CUSTOMERS: _("Customers"),
    ESIMS: _("eSIMs"),
    SUPPORT: _("Support"),
    PRIVACY: _("Privacy"),
    REPORTS: _("Reports"),
    SETTINGS: _("Settings"),
}

# Models whose task is not their app's.
MODEL_TASKS = {
    "notifications.campaign": SELL,
    "notifications.outboundemail": SUPPORT,
    "audit.accessevent": PRIVACY,
    "auth.group": SETTINGS,
    "core.shopidentity": SETTINGS,
    "governance.securityrole": SETTINGS,
    "governance.stafftraining": SETTINGS,
    "governance.riskassessment": SETTINGS,
    "governance.partnervetting": PRIVACY,
}

APP_TASKS = {
    "catalog": SELL,
    "orders": SELL,
    "payments": SELL,
    "promotions": SELL,
    "pricing": SELL,
    "accounts": CUSTOMERS,
    "esims": ESIMS,
    "usage": ESIMS,
    "suppliers": ESIMS,
    "network": ESIMS,
    "smdp": ESIMS,
    "devices": ESIMS,
    "support": SUPPORT,
    "help": SUPPORT,
    "governance": PRIVACY,
    "retention": PRIVACY,
    "rights": PRIVACY,
    "consent": PRIVACY,
    "audit": PRIVACY,
    "analytics": REPORTS,
    "reports": REPORTS,
}

# Pages of the back office that are not a model's list: (task, title, URL name, permission).
PAGES = [
    (REPORTS, _("Analytics dashboard"), "analytics_dashboard", "analytics.view_dashboard"),
    (REPORTS, _("Reports"), "reports:index", "reports.view_reports"),
    (ESIMS, _("Stock and suppliers at a glance"), "reports:supply", "reports.view_supply"),
    (
        PRIVACY,
        _("Records of processing"),
        "records_of_processing",
        "audit.view_records_of_processing",
    ),
    (PRIVACY, _("Processors"), "processors_registry", "audit.view_records_of_processing"),
]


def task_of(model_label: str) -> str:
    """The task of a model, by its lower-case label (``app.model``)."""
    app_label = model_label.split(".", 1)[0]
    return MODEL_TASKS.get(model_label, APP_TASKS.get(app_label, SETTINGS))


class BackOfficeSite(admin.AdminSite):
    site_header = _("Roamwise back office")
    site_title = _("Roamwise back office")
    index_title = _("Back office")

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        if app_label is not None:
            # One app's own page (/admin/<app>/) stays as Django draws it.
            return super().get_app_list(request, app_label)
        groups: dict[str, list[dict[str, Any]]] = {task: [] for task in TASKS}
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                label = f"{app['app_label']}.{model['object_name'].lower()}"
                groups[task_of(label)].append(model)
        for task, title, url_name, permission in PAGES:
            if not request.user.has_perm(permission):
                continue
            try:
                url = reverse(url_name)
            except NoReverseMatch:  # a page this installation does not have
                continue
            groups[task].append(
                {
                    "name": title,
                    "object_name": url_name.replace(":", "_"),
                    "perms": {"view": True},
                    "admin_url": url,
                    "add_url": None,
                    "view_only": True,
                }
            )
        index = reverse("admin:index", current_app=self.name)
        return [
            {
                "name": TASKS[task],
                "app_label": task,
                "app_url": f"{index}#{task}",
                "has_module_perms": True,
                "models": sorted(models, key=lambda m: str(m["name"])),
            }
            for task, models in groups.items()
            if models
        ]


class BackOfficeConfig(AdminConfig):
    default_site = "roamwise.core.backoffice.BackOfficeSite"
