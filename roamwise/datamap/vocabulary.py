"""The words a declaration may use: data categories, purposes, legal bases,
recipients and storage locations. A declaration naming anything else fails the
system check, so a typo cannot silently create a new category."""

from __future__ import annotations

# Fideslang-style dotted data categories, with the text the policy shows.
CATEGORIES: dict[str, str] = {
    "user.account.username": "Username",
    "user.account.settings": "Account settings and status",
    "user.authorization.credentials": "Password hashes and second-factor secrets",
    "user.contact.email": "Email address",
    "user.contact.phone_number": "Phone number",
    "user.contact.address": "Postal and billing address",
    "user.contact.parent_email": "A parent's or guardian's email address",
    "user.contact.requester_email": "The email address a privacy request came from",
    "user.name": "Name",
    "user.demographic.date_of_birth": "Date of birth",
    "user.unique_id": "Customer identifiers",
    "user.device.ip_address": "IP address",
    "user.device.browser": "Browser and device type",
    "user.device.imei": "Device IMEI",
    "user.device.eid": "eSIM chip identifier (EID)",
    "user.device.sim": "eSIM profile identifiers (ICCID, activation code)",
    "user.location.imprecise": "Approximate location (country)",
    "user.behavior.purchase_history": "Orders and purchases",
    "user.behavior.browsing_history": "Pages viewed and clicks",
    "user.behavior.session": "Signed-in sessions",
    "user.financial": "Payment details (processor reference, card brand, last four digits)",
    "user.network.usage": "Mobile data usage and network connection records",
    "user.content.support": "Support messages and attachments",
    "user.consent": "Consent and cookie choices",
    "user.privacy.staff_access": "Records of staff access to your data",
    "user.privacy.requests": "Your privacy requests and our answers",
    "user.staff.activity": "Back-office actions of staff members",
    # Legal requests and breach response (SHR-05, SEC-06).
    "user.privacy.legal_request": "Court orders and authority requests concerning you",
    "user.privacy.incident": "Security incidents that affected your data, and our notice to you",
}

PURPOSES: dict[str, str] = {
    "account": "Create and run your account, and keep it secure",
    "service": "Sell, provision and manage your eSIMs",
    "billing": "Take payment, issue invoices and handle refunds",
    "support": "Answer your questions and complaints",
    # Reviewing past conversations to train staff and improve answers: the
    # same records, kept no longer than support itself keeps them.
    "quality": "Check and improve the quality of our support, from past conversations",
    "security": "Protect accounts and the service against fraud and abuse",
    "legal": "Meet our legal and regulatory obligations",
    "children": "Obtain a parent's consent for accounts of 13 to 17 year olds",
    "marketing": "Send promotions you opted in to",
    "analytics": "Understand how the site is used, with your consent",
    "personalisation": "Recommend plans, with your consent",
}

LEGAL_BASES: dict[str, str] = {
    "contract": "Performance of our contract with you",
    "consent": "Your consent",
    "legal_obligation": "A legal obligation",
    "legitimate_interest": "Our legitimate interest",
}

# Who receives data outside Roamwise. The governance registry of processors
# extends this with location and transfer safeguard.
RECIPIENTS: dict[str, str] = {
    "hosting": "Cloud hosting provider",
    "email": "Email delivery provider",
    "payment": "Payment processor",
    "smdp": "eSIM profile provider (SM-DP+)",
    "network": "Mobile network operators",
    # eSIM wholesalers (roamwise.suppliers): only what an order needs.
    "airalo": "eSIM wholesaler Airalo",
    "esimaccess": "eSIM wholesaler eSIM Access",
    "esimgo": "eSIM wholesaler eSIM Go",
    # Only after a legal request is assessed valid, and only the minimum (SHR-05).
    "authority": "Courts and public authorities, when the law obliges us",
}

# Where the data rests. "primary" is the main database; "key_store" is the
# separate database of data keys (kept out of the primary's backups).
LOCATIONS: dict[str, str] = {
    "primary": "Primary database",
    "key_store": "Key store (separate database)",
}

# Device identifiers (AUT-04): the IMEI and the EID serve only to tell whether a
# device can take an eSIM and to install one on it, so a declaration may give
# them no purpose but the service. The compatibility check reads them without
# storing them (roamwise.devices); the EID an SM-DP+ reports stays with its eSIM.
DEVICE_IDENTIFIER_CATEGORIES: tuple[str, ...] = ("user.device.imei", "user.device.eid")
DEVICE_IDENTIFIER_PURPOSES: tuple[str, ...] = ("service",)

# What is never collected, said on the policy page. A model field whose name
# matches one of these patterns stops start-up (datamap.E023), declared or not.
NEVER_COLLECTED: dict[str, tuple[str, str]] = {
    "mac_address": (
        "MAC addresses of your devices or their network adapters",
        r"(^|_)(mac|mac_?address|hw_?address|hardware_address|bssid)(_|$)",
    ),
}
