from __future__ import annotations

from roamwise.datamap.registry import NotPersonal, data_map

# The network partner simulator stands in for the mobile network: in production
# it does not exist, and the shop declares what it sends to the real one.
data_map.declare_not_personal(
    NotPersonal(
        "network.NetworkSubscription",
        reason="Network partner simulator's own lines, absent in production.",
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "network.NetworkBundle",
        reason="Network partner simulator's own bundles, absent in production.",
    )
)
data_map.declare_not_personal(
    NotPersonal(
        "network.NetworkRequest",
        reason="Network partner simulator's record of repeated requests, absent in production.",
    )
)
