from __future__ import annotations

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    A_LINK,
    JOB_BOOKKEEPING,
    ROW_BOOKKEEPING,
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    Sends,
    data_map,
)

data_map.declare(
    Declaration(
        model="esims.Esim",
        label=gettext_lazy("Your eSIMs"),
        subject="customer",
        description=gettext_lazy(
            "Your eSIMs: the profile's ICCID and activation code, and the EID of the "
            "device it was installed on, as the eSIM provider reports it (SIM-04)."
        ),
        fields=(
            PersonalField("customer", "user.unique_id"),
            PersonalField("iccid", "user.device.sim"),
            PersonalField("iccid_index", "user.device.sim"),
            PersonalField("matching_id", "user.device.sim"),
            PersonalField("eid", "user.device.eid"),
            PersonalField("state", "user.behavior.purchase_history"),
            PersonalField("installed_at", "user.behavior.purchase_history"),
            PersonalField("failure_reason", "user.device.sim"),
            PersonalField("ready_at", "user.behavior.purchase_history"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        # The row stays with its order (billing records); what identifies the
        # profile or the device is blanked. Its state says nothing of anyone
        # once the account it points at is emptied (ADR 0010).
        # Ended first (ADR 0010): at its wholesaler when one supplied it
        # (ADR 0020), otherwise at the SM-DP+ and the network.
        erasure=Erasure.anonymise(
            keep=("customer", "state"),
            at_recipients="roamwise.suppliers.fulfilment.esims_end_for_erasure",
        ),
        # A wholesaler (ADR 0020) supplied the profile and is asked about it by
        # its ICCID only (usage, top-ups, ending it): never the device's EID.
        # The SM-DP+ is told the profile (ICCID and activation code) and, when
        # the phone reported it, the device's EID on confirming the order; the
        # network gets the ICCID of the line it carries.
        recipients=("smdp", "network", "airalo", "esimaccess", "esimgo", "hosting"),
        received=(
            ("smdp", ("iccid", "matching_id", "eid")),
            ("network", ("iccid",)),
            ("airalo", ("iccid",)),
            ("esimaccess", ("iccid",)),
            ("esimgo", ("iccid",)),
        ),
    )
)

data_map.declare(
    Declaration(
        model="esims.EsimEvent",
        label=gettext_lazy("eSIM history"),
        subject="esim__customer",
        description=gettext_lazy(
            "Each activation, suspension and deletion of your eSIMs, and who did it."
        ),
        fields=(
            PersonalField("to_status", "user.behavior.purchase_history"),
            PersonalField("actor", "user.behavior.purchase_history"),
            PersonalField("note", "user.behavior.purchase_history"),
            PersonalField("from_status", "user.behavior.purchase_history"),
            PersonalField("created_at", "user.behavior.purchase_history"),
        ),
        purposes=("service", "security"),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
    )
)

data_map.declare(
    Declaration(
        model="esims.Bundle",
        label=gettext_lazy("Data bundles"),
        subject="esim__customer",
        description=gettext_lazy("The data bundles on your eSIMs: the plan and its top-ups."),
        fields=(
            PersonalField("plan", "user.behavior.purchase_history"),
            PersonalField("state", "user.behavior.purchase_history"),
            PersonalField("starts_at", "user.behavior.purchase_history"),
            PersonalField("expires_at", "user.behavior.purchase_history"),
            PersonalField("used_bytes", "user.network.usage"),
            PersonalField("data_mb", "user.behavior.purchase_history"),
            PersonalField("validity_days", "user.behavior.purchase_history"),
            PersonalField("last_error", "user.behavior.purchase_history"),
            PersonalField("alerted_low_at", "user.network.usage"),
            PersonalField("alerted_used_up_at", "user.network.usage"),
            PersonalField("alerted_expiry_at", "user.network.usage"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.account_lifetime(),
        erasure=Erasure.delete(),
        # The network applies the bundle: its data and validity, under our
        # reference; what is used is reported by it, not sent to it.
        # Low-data and expiry alerts by email say what is left and until when.
        recipients=("network", "email"),
        received=(
            ("network", ("data_mb", "validity_days")),
            ("email", ("used_bytes", "data_mb", "expires_at")),
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Es2Attempt",
        reason=(
            "Technical log of ES2+ calls: function, call id, status code. No ICCID, "
            "EID or matching ID is stored in it."
        ),
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "esims.ProgressReport",
        reason=(
            "Which SM-DP+ notifications arrived (call id, step, status), for idempotency. "
            "The EID and ICCID they carry are not stored here."
        ),
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "esims.Esim",
        fields=("smdp_address",),
        reason="The eSIM provider's server address: the same for every customer.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Bundle",
        fields=("created_at", "updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Bundle",
        fields=("order",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Bundle",
        fields=("network_attempts", "network_added_at"),
        reason=JOB_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Esim",
        fields=("created_at", "updated_at", "public_id"),
        reason=ROW_BOOKKEEPING,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Esim",
        fields=("order",),
        reason=A_LINK,
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Esim",
        fields=("profile_type",),
        reason=(
            "The SM-DP+ profile type of the plan bought: a catalogue value, the same for every "
            "eSIM of that plan."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.Esim",
        fields=("provision_step", "provision_failures", "next_attempt_at", "lease_until"),
        reason=JOB_BOOKKEEPING,
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "esims.PartnerCall",
        reason=(
            "Technical log of calls to the network partner: action, idempotency key, "
            "outcome and the partner's reason. No ICCID is stored in it; the eSIM is "
            "referenced."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "esims.ProfileStock",
        fields=("iccid",),
        reason=(
            "The operator's batch of profiles not yet given to anyone: an ICCID leaves "
            "this table when an eSIM takes it, so no row is linked to a customer."
        ),
    )
)

# What the SM-DP+ and network adapters send (SHR-02); each logs these
# categories in the disclosure log when it sends.
ES2PLUS_SENDS = data_map.declare_sends(
    Sends(
        recipient="smdp",
        adapter="roamwise.esims.es2plus",
        categories=("user.device.sim", "user.device.eid"),
    )
)
PARTNER_SENDS = data_map.declare_sends(
    Sends(
        recipient="network",
        adapter="roamwise.esims.partner",
        categories=("user.device.sim", "user.behavior.purchase_history"),
    )
)
