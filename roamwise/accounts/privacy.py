"""Personal data held by accounts, and by allauth on their behalf."""

from __future__ import annotations

from roamwise.datamap.registry import (
    SELF,
    Declaration,
    Erasure,
    PersonalField,
    Retention,
    data_map,
)

data_map.declare(
    Declaration(
        model="accounts.User",
        subject=SELF,
        description=(
            "The account: sign-in identity and name. On erasure it is deleted; while "
            "records kept by law (orders, invoices) refer to it, it stays emptied: no "
            "username, email, name, password or customer number."
        ),
        fields=(
            PersonalField("username", "user.account.username"),
            PersonalField("email", "user.contact.email"),
            PersonalField("first_name", "user.name", editable=True),
            PersonalField("last_name", "user.name", editable=True),
            PersonalField("password", "user.authorization.credentials"),
            PersonalField("public_id", "user.unique_id"),
            PersonalField("last_login", "user.behavior.session"),
            PersonalField("date_joined", "user.account.settings"),
            PersonalField("is_active", "user.account.settings"),
        ),
        purposes=("account", "security"),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        # Orders kept for tax law refer to the account (PROTECT): then the row
        # stays, emptied, with only the date it was opened (ADR 0010).
        erasure=Erasure.delete(keep=("date_joined",)),
        recipients=("hosting",),
    )
)

data_map.declare(
    Declaration(
        model="accounts.Profile",
        subject="user",
        description="What sign-up collects beyond the account.",
        fields=(
            PersonalField("phone", "user.contact.phone_number", editable=True),
            PersonalField("phone_index", "user.contact.phone_number"),
            PersonalField("date_of_birth", "user.demographic.date_of_birth"),
        ),
        purposes=("account", "children"),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
        recipients=("hosting",),
    )
)

data_map.declare(
    Declaration(
        model="accounts.ParentalConsent",
        subject="child",
        description="A parent's consent to a 13 to 17 year old's account.",
        fields=(
            PersonalField("parent_email", "user.contact.parent_email"),
            PersonalField("status", "user.consent"),
            PersonalField("decided_at", "user.consent"),
        ),
        purposes=("children",),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
        recipients=("hosting", "email"),
    )
)

data_map.declare(
    Declaration(
        model="accounts.AccountClosure",
        subject="user",
        description="When an account was closed and when its data is deleted.",
        fields=(
            PersonalField("closed_at", "user.account.settings"),
            PersonalField("delete_after", "user.account.settings"),
        ),
        purposes=("account", "legal"),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="account.EmailAddress",
        subject="user",
        description="Email addresses and whether each is verified.",
        fields=(
            PersonalField("email", "user.contact.email"),
            PersonalField("verified", "user.account.settings"),
        ),
        purposes=("account",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
        recipients=("hosting", "email"),
    )
)

data_map.declare(
    Declaration(
        model="account.EmailConfirmation",
        subject="email_address__user",
        description="Pending email verification keys.",
        fields=(PersonalField("key", "user.authorization.credentials"),),
        purposes=("account",),
        legal_basis="contract",
        retention=Retention.after(3, anchor="created", summary="3 days"),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="mfa.Authenticator",
        subject="user",
        description="Second factors: TOTP (seed encrypted), recovery codes, security keys.",
        fields=(
            PersonalField("data", "user.authorization.credentials"),
            PersonalField("last_used_at", "user.behavior.session"),
        ),
        purposes=("security",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="usersessions.UserSession",
        subject="user",
        description="Signed-in sessions, listed in the account so they can be ended.",
        fields=(
            PersonalField("ip", "user.device.ip_address"),
            PersonalField("user_agent", "user.device.browser"),
            PersonalField("last_seen_at", "user.behavior.session"),
            PersonalField("data", "user.behavior.session"),
        ),
        purposes=("security",),
        legal_basis="legitimate_interest",
        retention=Retention.after(30, anchor="last_seen_at", summary="30 days after last use"),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="accounts.LoginEvent",
        subject="user",
        description=(
            "Your sign-ins, as a security log you can see in your account: when, from which "
            "country, with which browser, operating system and kind of device. The IP "
            "address is used to find the country and is not kept."
        ),
        fields=(
            PersonalField("created_at", "user.behavior.session"),
            PersonalField("browser_family", "user.device.browser"),
            PersonalField("os_family", "user.device.browser"),
            PersonalField("device_type", "user.device.browser"),
            PersonalField("country", "user.location.imprecise"),
        ),
        purposes=("security",),
        legal_basis="legitimate_interest",
        retention=Retention.after(365, summary="12 months"),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="accounts.StaffEmailChange",
        subject="user",
        description=(
            "A change of your sign-in email asked for by our staff: when, and whether you "
            "confirmed the new address. The address itself is kept with your other addresses."
        ),
        fields=(
            PersonalField("requested_at", "user.account.settings"),
            PersonalField("confirmed_at", "user.account.settings"),
        ),
        purposes=("account", "security"),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)
