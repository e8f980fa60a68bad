from __future__ import annotations

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    ROW_BOOKKEEPING,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    Sends,
    data_map,
)
from roamwise.suppliers.http import ESIM, ORDER

# What a wholesaler receives for an order: the package and our transaction id,
# nothing about the customer. What comes back (ICCID, matching ID) is the
# customer's eSIM once the allocation is linked to their order.
data_map.declare(
    Declaration(
        model="suppliers.Allocation",
        label=gettext_lazy("eSIMs from wholesalers"),
        subject="order__customer",
        description=gettext_lazy(
            "The eSIM a wholesaler allocated for your order: its ICCID and activation code, "
            "the package, the wholesaler's order reference, and the data used as it "
            "last reported it."
        ),
        fields=(
            PersonalField("iccid", "user.device.sim"),
            PersonalField("matching_id", "user.device.sim"),
            PersonalField("reference", "user.behavior.purchase_history"),
            PersonalField("package_id", "user.behavior.purchase_history"),
            PersonalField("status", "user.behavior.purchase_history"),
            PersonalField("usage_used_bytes", "user.network.usage"),
            PersonalField("usage_read_at", "user.network.usage"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        # The row stays with its order (the wholesaler's invoice refers to it);
        # what identifies the profile is blanked.
        erasure=Erasure.anonymise(keep=("reference", "package_id", "status")),
        # Sent back to the wholesaler: the package, its order reference, and the
        # ICCID when asking about the eSIM; usage comes from it.
        recipients=("airalo", "esimaccess", "esimgo", "hosting"),
        received=(
            ("airalo", ("iccid", "reference", "package_id")),
            ("esimaccess", ("iccid", "reference", "package_id")),
            ("esimgo", ("iccid", "reference", "package_id")),
        ),
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "suppliers.Allocation",
        fields=(
            "supplier",
            "transaction_id",
            "cost_amount",
            "cost_currency",
            "source",
            "disposition",
            "usage_poll_after",
        ),
        reason="Which wholesaler and plan source, our random transaction id, what it "
        "charged us and whether its profile was used: about our purchase, not the person.",
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "suppliers.Allocation",
        fields=("smdp_address",),
        reason="The wholesaler's SM-DP+ server name, the same for all its customers.",
    )
)
data_map.declare_not_personal(
    NotPersonal("suppliers.Allocation", fields=("created_at", "updated_at"), reason=ROW_BOOKKEEPING)
)
data_map.declare_not_personal(
    NotPersonal("suppliers.SupplierPackage", reason="A wholesaler's catalogue: about no one.")
)
data_map.declare_not_personal(
    NotPersonal(
        "suppliers.PlanSource",
        reason="Which SM-DP+ profile type or wholesaler package supplies a plan: about no one.",
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "suppliers.WebhookReceipt",
        reason="Which notifications were handled: a hash or request id and a kind, no content.",
    )
)
data_map.declare(
    Declaration(
        model="suppliers.SupplierTopUp",
        label=gettext_lazy("Top-ups at wholesalers"),
        subject="order__customer",
        description=gettext_lazy(
            "A top-up of your eSIM placed at its wholesaler: the package and its reference."
        ),
        fields=(
            PersonalField("package_id", "user.behavior.purchase_history"),
            PersonalField("reference", "user.behavior.purchase_history"),
            PersonalField("status", "user.behavior.purchase_history"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        # Kept with its order (the wholesaler's invoice refers to it); its
        # reference at the wholesaler is blanked.
        erasure=Erasure.anonymise(keep=("package_id", "status")),
        recipients=("airalo", "esimaccess", "esimgo", "hosting"),
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "suppliers.SupplierTopUp",
        fields=("supplier", "transaction_id", "cost_amount", "cost_currency"),
        reason="Which wholesaler, our random transaction id and what it charged us.",
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "suppliers.SupplierTopUp", fields=("created_at", "updated_at"), reason=ROW_BOOKKEEPING
    )
)
data_map.declare_not_personal(
    NotPersonal("suppliers.SupplierCredit", reason="Our prepaid balance at a wholesaler.")
)

# What each wholesaler's adapter sends (SHR-02): orders and top-ups of a
# package under our reference, and an eSIM's ICCID; every request says which
# of these it carries (``http.Sent``), within what is declared here.
for _code in ("airalo", "esimaccess", "esimgo"):
    data_map.declare_sends(
        Sends(
            recipient=_code,
            adapter=f"roamwise.suppliers.{_code}",
            categories=(*ORDER, *ESIM),
        )
    )
