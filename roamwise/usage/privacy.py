from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy

from roamwise.datamap.registry import (
    Declaration,
    Erasure,
    NotPersonal,
    PersonalField,
    Retention,
    data_map,
)

# RET-02: network logs and usage records are kept 12 months. On PostgreSQL the
# retention sweep drops whole monthly partitions; see usage.partitions.
USAGE_RETENTION = timedelta(days=365)

data_map.declare(
    Declaration(
        model="usage.UsageRecord",
        label=gettext_lazy("Data usage"),
        subject="esim__customer",
        description=gettext_lazy(
            "Your data sessions as the mobile network reports them: when, how much data, "
            "and which network you roamed on. The cell and location area a network may "
            "send are dropped on arrival (SIM-05)."
        ),
        fields=(
            PersonalField("esim", "user.unique_id"),
            PersonalField("record_id", "user.network.usage"),
            PersonalField("session_start", "user.network.usage"),
            PersonalField("session_end", "user.network.usage"),
            PersonalField("bytes_up", "user.network.usage"),
            PersonalField("bytes_down", "user.network.usage"),
            PersonalField("visited_network", "user.network.usage"),
        ),
        purposes=("service", "billing", "security"),
        legal_basis="contract",
        retention=Retention.after(
            USAGE_RETENTION.days,
            anchor="session_start",
            summary="12 months from the session, then deleted (RET-02)",
            sweeper="roamwise.usage.partitions.usage_records_sweep",
        ),
        erasure=Erasure.delete(),
        # The network partner writes these records and sends them to us; we
        # send none of them back (SHR-02).
        recipients=("hosting",),
    )
)

data_map.declare(
    Declaration(
        model="usage.UsageRecordKey",
        label=gettext_lazy("Usage record references"),
        subject="esim__customer",
        description=gettext_lazy(
            "The network's reference of each usage record, kept to refuse repeats."
        ),
        fields=(
            PersonalField("record_id", "user.network.usage"),
            PersonalField("session_start", "user.network.usage"),
        ),
        purposes=("service",),
        legal_basis="contract",
        retention=Retention.after(
            USAGE_RETENTION.days,
            anchor="session_start",
            summary="12 months from the session, with its record (RET-02)",
        ),
        erasure=Erasure.delete(),
        recipients=("hosting",),
    )
)


data_map.declare_not_personal(
    NotPersonal("usage.Partner", reason="A network partner company and its hashed API key.")
)
data_map.declare_not_personal(
    NotPersonal(
        "usage.IngestBatch",
        reason="Counts of records per batch or file; no record content is kept in it.",
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "usage.UsageRecord",
        fields=("partner",),
        reason=(
            "The network partner that reported the record: a company, the same for every line of "
            "its prefixes."
        ),
    )
)

data_map.declare_not_personal(
    NotPersonal(
        "usage.UsageRecordKey",
        fields=("partner",),
        reason=(
            "The network partner that reported the record: a company, the same for every line of "
            "its prefixes."
        ),
    )
)
