from __future__ import annotations

from roamwise.datamap.registry import NotPersonal, data_map

# The SM-DP+ simulator stands in for the eSIM provider's system: in production
# it does not exist, and the shop declares what it receives from it.
data_map.declare_not_personal(
    NotPersonal(
        "smdp.SmdpProfile",
        fields=("eid", "iccid"),
        reason="SM-DP+ simulator's own inventory, absent in production.",
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "smdp.ProgressNotification", reason="SM-DP+ simulator's outbox, absent in production."
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "smdp.Es2Call",
        fields=("answer",),
        reason="SM-DP+ simulator's record of the calls it answered, absent in production.",
    )
)
