from __future__ import annotations

from roamwise.datamap.registry import NotPersonal, data_map

data_map.declare_not_personal(
    NotPersonal(
        "reports.Report",
        reason="No table: it carries the permission to read the reports, which are aggregates.",
    )
)
