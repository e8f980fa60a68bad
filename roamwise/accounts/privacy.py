"""Personal data held by accounts, and by allauth on their behalf."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    A_LINK,
    ROW_BOOKKEEPING,
    SELF,
    TOKEN_HASH,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

data_map.declare(
    Declaration(
        model="accounts.User",
        label=gettext_lazy("Your account"),
        subject=SELF,
        description=gettext_lazy(
            "The account: sign-in identity and name. On erasure it is deleted; while "
            "records kept by law (orders, invoices) refer to it, it stays emptied: no "
            "username, email, name, password or customer number."
        ),
        fields=(
            PersonalField("username", "user.account.username"),
            PersonalField("email", "user.contact.email"),
            PersonalField("first_name", "user.name", editor="rights:name"),
            PersonalField("last_name", "user.name", editor="rights:name"),
            PersonalField("password", "user.authorization.credentials"),
            PersonalField("public_id", "user.unique_id"),
            PersonalField("last_login", "user.behavior.session"),
            PersonalField("date_joined", "user.account.settings"),
            PersonalField("language", "user.account.settings"),
            PersonalField("is_active", "user.account.settings"),
            PersonalField("is_staff", "user.account.settings"),
            PersonalField("is_superuser", "user.account.settings"),
        ),
        purposes=("account", "security"),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        # Orders kept for tax law refer to the account (PROTECT): then the row
        # stays, emptied, with only the date it was opened (ADR 0010).
        erasure=Erasure.delete(keep=("date_joined",)),
        # Stripe's checkout page is given the email, for its receipt (SHR-02).
        recipients=("hosting", "payment"),
        received=(("payment", ("email",)),),
    )
)

data_map.declare(
    Declaration(
        model="accounts.Profile",
        label=gettext_lazy("Your profile"),
        subject="user",
        description=gettext_lazy("What sign-up collects beyond the account."),
        fields=(
            PersonalField("phone", "user.contact.phone_number", editor="accounts:phone_update"),
            PersonalField("phone_index", "user.contact.phone_number"),
            PersonalField("date_of_birth", "user.demographic.date_of_birth"),
            PersonalField("currency", "user.account.settings", editor="catalog:currency"),
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
        label=gettext_lazy("Parental consent"),
        subject="child",
        description=gettext_lazy("A parent's consent to a 13 to 17 year old's account."),
        fields=(
            PersonalField("parent_email", "user.contact.parent_email"),
            PersonalField("status", "user.consent"),
            PersonalField("decided_at", "user.consent"),
        ),
        purposes=("children",),
        legal_basis="legal_obligation",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
        # The consent link goes to the parent's address.
        recipients=("hosting", "email"),
        received=(("email", ("parent_email",)),),
    )
)

data_map.declare(
    Declaration(
        model="accounts.AccountClosure",
        label=gettext_lazy("Account closure"),
        subject="user",
        description=gettext_lazy("When an account was closed and when its data is deleted."),
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
        label=gettext_lazy("Email addresses"),
        subject="user",
        description=gettext_lazy("Email addresses and whether each is verified."),
        fields=(
            PersonalField("email", "user.contact.email"),
            PersonalField("verified", "user.account.settings"),
            PersonalField("primary", "user.account.settings"),
        ),
        purposes=("account",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
        recipients=("hosting", "email"),
        received=(("email", ("email",)),),
    )
)

data_map.declare(
    Declaration(
        model="account.EmailConfirmation",
        label=gettext_lazy("Email confirmations waiting"),
        subject="email_address__user",
        description=gettext_lazy("Pending email verification keys."),
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
        label=gettext_lazy("Two-factor authentication"),
        subject="user",
        description=gettext_lazy(
            "Second factors: TOTP (seed encrypted), recovery codes, security keys."
        ),
        fields=(
            PersonalField("data", "user.authorization.credentials"),
            PersonalField("last_used_at", "user.behavior.session"),
            PersonalField("type", "user.account.settings"),
            PersonalField("created_at", "user.account.settings"),
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
        label=gettext_lazy("Signed-in sessions"),
        subject="user",
        description=gettext_lazy("Signed-in sessions, listed in the account so they can be ended."),
        fields=(
            PersonalField("ip", "user.device.ip_address"),
            PersonalField("user_agent", "user.device.browser"),
            PersonalField("last_seen_at", "user.behavior.session"),
            PersonalField("data", "user.behavior.session"),
            PersonalField("created_at", "user.behavior.session"),
            PersonalField("session_key", "user.authorization.credentials"),
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
        label=gettext_lazy("Sign-ins"),
        subject="user",
        description=gettext_lazy(
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

data_map.declare_not_personal(
    NotPersonal(
        "account.EmailConfirmation",
        fields=("created", "sent"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "accounts.AccountClosure",
        fields=("created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "accounts.ParentalConsent",
        fields=("created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "accounts.ParentalConsent",
        fields=("token_hash",),
        reason=TOKEN_HASH,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "accounts.ParentalConsent",
        fields=("expires_at",),
        reason=(
            "When the parent's link stops working: a rule of the service applied to every request"
            " alike."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "accounts.Profile",
        fields=("created_at", "updated_at"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare(
    Declaration(
        model="accounts.StaffEmailChange",
        label=gettext_lazy("Email changes asked for by our staff"),
        subject="user",
        description=gettext_lazy(
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

data_map.declare_not_personal(
    NotPersonal(
        "accounts.StaffEmailChange",
        fields=("email_address",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "accounts.StaffEmailChange",
        fields=("requested_by_id",),
        reason=(
            "The staff member's internal number: their data, held as a record of their work; the "
            "customer is told that staff asked for the change, not who."
        ),
    )
)
