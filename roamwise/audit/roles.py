"""Staff roles on a need-to-know basis (SEC-03), as Django groups.

The groups are (re)created after every migrate with exactly these
permissions; change a role here, not in the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

SUPPORT_AGENT = "Support agent"
BILLING = "Billing"
PRIVACY_OFFICER = "Privacy officer"
ADMINISTRATOR = "Administrator"
MARKETING = "Marketing"

# Composing campaigns (their messages are edited inline) and sending them to
# the customers who opted in (USE-02). No customer records: the audience is a
# count, and who received what stays with the campaign's recipients.
CAMPAIGNS = [
    "notifications.view_campaign",
    "notifications.add_campaign",
    "notifications.change_campaign",
    "notifications.delete_campaign",
    "notifications.view_campaignmessage",
    "notifications.add_campaignmessage",
    "notifications.change_campaignmessage",
    "notifications.delete_campaignmessage",
    "notifications.view_campaignevent",
]

# Promotions and their amounts per currency, set up in the back office (ADR
# 0031); who used them stays with the orders.
PROMOTIONS = [
    f"promotions.{action}_{model}"
    for model in ("promotion", "promotionamount")
    for action in ("view", "add", "change", "delete")
]

# Holds the security organisation's records: roles, training, risk (SEC-08).
SECURITY_OFFICER = "Security officer"

SECURITY_RECORDS = ["securityrole", "stafftraining", "riskassessment"]
SECURITY_RECORDS_VIEW = [f"governance.view_{model}" for model in SECURITY_RECORDS]
SECURITY_RECORDS_MANAGE = [
    f"governance.{action}_{model}"
    for model in SECURITY_RECORDS
    for action in ("view", "add", "change", "delete")
]

# Legal holds (RET-07) and the record of retention runs (RET-06).
RETENTION_OFFICER = [
    "retention.view_legalhold",
    "retention.add_legalhold",
    "retention.release_legalhold",
    "retention.view_retentionrun",
    "retention.view_retentionrunrule",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Contact details masked until a reason is given (no view_contact_details).
    SUPPORT_AGENT: [
        "accounts.view_user",
        "accounts.view_profile",
        "orders.view_order",
        "catalog.view_destination",
        "catalog.view_plan",
        "catalog.view_network",
        "support.view_ticket",
        "support.change_ticket",
        "support.reply_ticket",
        "support.view_cannedreply",
        "notifications.view_outboundemail",
    ],
    BILLING: [
        "accounts.view_user",
        "catalog.view_destination",
        "catalog.view_plan",
        "orders.view_order",
        "orders.view_invoice",
        "orders.view_refund",
        "orders.add_refund",
        "orders.change_refund",
        "orders.issue_refund",
        "orders.view_margin",
        "orders.export_order",
        "reports.view_reports",
        "reports.view_supply",
        "payments.view_payment",
        "payments.view_webhookevent",
        "retention.view_legalhold",
    ],
    PRIVACY_OFFICER: [
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_profile",
        "accounts.change_profile",
        "accounts.view_contact_details",
        "accounts.view_parentalconsent",
        "accounts.view_accountclosure",
        "audit.view_accessevent",
        "audit.verify_chain",
        "audit.view_records_of_processing",
        "support.view_ticket",
        "support.change_ticket",
        "support.reply_ticket",
        # Privacy policy versions (POL-01, POL-02).
        "governance.view_policyversion",
        "governance.add_policyversion",
        "governance.change_policyversion",
        "governance.publish_policyversion",
        # Legal requests (SHR-05) and breach response (SEC-06).
        "governance.view_legalrequest",
        "governance.add_legalrequest",
        "governance.change_legalrequest",
        "governance.decide_legalrequest",
        "governance.view_incident",
        "governance.add_incident",
        "governance.change_incident",
        "governance.notify_incident",
        *RETENTION_OFFICER,
        # The queue of data-subject requests (rights app).
        "rights.view_datarequest",
        "rights.change_datarequest",
        "rights.handle_datarequest",
        # Auditors read the security organisation here (SEC-08).
        *SECURITY_RECORDS_VIEW,
        # Partners' screening and confidentiality agreements (SHR-07).
        "governance.view_partnervetting",
        "governance.add_partnervetting",
        "governance.change_partnervetting",
    ],
    SECURITY_OFFICER: [
        "accounts.view_user",
        *SECURITY_RECORDS_MANAGE,
    ],
    ADMINISTRATOR: [
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_profile",
        "accounts.change_profile",
        "accounts.view_contact_details",
        "accounts.view_parentalconsent",
        "accounts.view_accountclosure",
        "audit.view_accessevent",
        "audit.view_records_of_processing",
        "auth.view_group",
        "orders.view_order",
        "orders.view_invoice",
        "orders.view_refund",
        "orders.add_refund",
        "orders.change_refund",
        "orders.issue_refund",
        "orders.view_margin",
        "orders.export_order",
        "reports.view_reports",
        "reports.view_supply",
        "payments.view_payment",
        "payments.view_webhookevent",
        "catalog.view_destination",
        "catalog.add_destination",
        "catalog.change_destination",
        "catalog.view_plan",
        "catalog.add_plan",
        "catalog.change_plan",
        "catalog.change_price",
        "catalog.run_promotions",
        # Pricing rules, and the history of the prices they set (ADR 0034).
        "pricing.view_pricingrule",
        "pricing.add_pricingrule",
        "pricing.change_pricingrule",
        "pricing.delete_pricingrule",
        "pricing.view_pricerun",
        "pricing.view_pricechange",
        "pricing.view_priceoverride",
        *PROMOTIONS,
        "catalog.view_network",
        "catalog.add_network",
        "catalog.change_network",
        "support.view_ticket",
        "support.change_ticket",
        "support.reply_ticket",
        "support.view_cannedreply",
        "support.add_cannedreply",
        "support.change_cannedreply",
        "notifications.view_outboundemail",
        # Privacy policy versions (POL-01, POL-02).
        "governance.view_policyversion",
        "governance.add_policyversion",
        "governance.change_policyversion",
        "governance.publish_policyversion",
        *RETENTION_OFFICER,
        # Campaigns: read only; sending is the marketing role's.
        "notifications.view_campaign",
        "notifications.view_campaignmessage",
        "notifications.view_campaignevent",
    ],
    # Campaigns and promotions; prices stay the administrators'.
    MARKETING: [
        *CAMPAIGNS,
        "notifications.send_campaign",
        "catalog.view_plan",
        "catalog.run_promotions",
        *PROMOTIONS,
    ],
}
ROLE_ORDER = [ADMINISTRATOR, PRIVACY_OFFICER, SECURITY_OFFICER, BILLING, SUPPORT_AGENT, MARKETING]


def ensure_roles(**kwargs: Any) -> None:
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                # Not created yet (a partial migrate); the next run completes it.
                continue
            permissions.append(permission)
        group.permissions.set(permissions)


def role_of(user: Any) -> str:
    if user.is_superuser:
        return ADMINISTRATOR
    names = set(user.groups.values_list("name", flat=True))
    for role in ROLE_ORDER:
        if role in names:
            return role
    return "Staff"
