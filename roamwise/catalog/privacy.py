from __future__ import annotations

from roamwise.datamap.registry import NotPersonal, data_map

for model in ("catalog.Destination", "catalog.Network", "catalog.Plan"):
    data_map.declare_not_personal(
        NotPersonal(model=model, fields=("name",), reason="Names of places, operators and plans.")
    )
