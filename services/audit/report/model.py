"""The monthly report (每月通报) as data: per entity type, each sub-division's metrics, ranked, with the change
from last month and the targets. Pure: it takes the two quality snapshots (month end, previous month end).

Both snapshots are computed from the archive as of the months' ends by ``recorded_at``, so the October
report computed in November shows October as it was, not as corrected since.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

#: per entity type (one sheet each): the columns, the first one ranks the sub-divisions (highest first)
COLUMNS: dict[str, list[str]] = {
    "address": ["doorplates_total", "doorplates_location_rate", "doorplates_duplicates_open", "doorplates_merged",
                "doorplates_pending_approval", "places_total", "rooms_total", "doorplates_collection_rate"],
    "person": ["persons_total", "persons_linked", "persons_link_rate", "persons_phone_rate", "persons_logic_errors",
               "persons_duplicates_open", "persons_merged", "migrants_registration_expired",
               "residence_permits_expiring", "foreigners_overstaying", "persons_collection_rate"],
    "house": ["houses_total", "houses_rented", "houses_link_rate", "houses_logic_errors",
              "rentals_not_checked_this_month", "houses_collection_rate"],
    "unit": ["units_total", "units_special_trade", "units_link_rate", "special_trade_inspections_overdue",
             "unit_rectifications_overdue", "units_collection_rate"],
}
TITLES = {"address": "标准地址", "person": "实有人口", "house": "实有房屋", "unit": "实有单位"}
LABELS = {
    "doorplates_total": "门楼牌数", "doorplates_location_rate": "坐标采集率", "doorplates_duplicates_open": "疑似重复",
    "doorplates_merged": "已合并重复", "doorplates_pending_approval": "待审核", "places_total": "地址要素数",
    "rooms_total": "户室数", "doorplates_collection_rate": "采集率", "persons_total": "实有人口数",
    "persons_linked": "人地关联数", "persons_link_rate": "关联率", "persons_phone_rate": "电话采集率",
    "persons_logic_errors": "逻辑错误", "persons_duplicates_open": "疑似重复", "persons_merged": "已合并重复",
    "migrants_registration_expired": "暂住登记过期", "residence_permits_expiring": "居住证将到期",
    "foreigners_overstaying": "境外人员逾期停留", "persons_collection_rate": "采集率", "houses_total": "实有房屋数",
    "houses_rented": "出租房屋数", "houses_link_rate": "关联率", "houses_logic_errors": "逻辑错误",
    "rentals_not_checked_this_month": "本月未检查出租房", "houses_collection_rate": "采集率", "units_total": "实有单位数",
    "units_special_trade": "特种行业单位", "units_link_rate": "关联率",
    "special_trade_inspections_overdue": "逾期未检查", "unit_rectifications_overdue": "逾期未整改",
    "units_collection_rate": "采集率", "accuracy": "准确率",
}
TARGET_LABELS = {"persons_collection_rate": "人口采集率", "persons_link_rate": "人口关联率", "accuracy": "准确率",
                 "doorplates_collection_rate": "门牌采集率", "houses_collection_rate": "房屋采集率",
                 "units_collection_rate": "单位采集率", "houses_link_rate": "房屋关联率", "units_link_rate": "单位关联率"}
#: targets of the notice: 采集率、准确率 95%+, addresses, houses and units 100%
TARGETS = {"persons_collection_rate": 0.95, "persons_link_rate": 0.95, "accuracy": 0.95,
           "doorplates_collection_rate": 1.0, "houses_collection_rate": 1.0, "units_collection_rate": 1.0,
           "houses_link_rate": 1.0, "units_link_rate": 1.0}


def month_bounds(month: str, utc_offset_hours: int = 8) -> tuple[datetime, datetime]:
    """(end of ``month``, end of the month before), the last instant of each in local time, as UTC."""
    year, number = (int(part) for part in month.split("-"))
    local = timezone(timedelta(hours=utc_offset_hours))
    start = datetime(year, number, 1, tzinfo=local)
    following = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=local)
    tick = timedelta(microseconds=1)
    return (following - tick).astimezone(timezone.utc), (start - tick).astimezone(timezone.utc)


def _change(now: Any, before: Any) -> Any:
    if isinstance(now, (int, float)) and isinstance(before, (int, float)) and not isinstance(now, bool):
        return round(now - before, 4)
    return None


def _row(code: str, now: dict[str, Any], before: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    values = {column: now.get(column) for column in columns}
    accuracy = (now.get("accuracy") or {}).get("records", {}).get("rate")
    return {"division_code": code, "name": now.get("name") or code, **values, "accuracy": accuracy,
            "change": {column: _change(now.get(column), before.get(column)) for column in columns}}


def build(month: str, division_code: str | None, current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The report: per entity, the division's total row and a ranked row per sub-division."""
    entities = {}
    for entity, columns in COLUMNS.items():
        before_subs = previous.get("by_sub_division", {})
        rows = [_row(code, values, before_subs.get(code, {}), columns)
                for code, values in current.get("by_sub_division", {}).items()]
        rows.sort(key=lambda row: (-(row[columns[0]] or 0), row["division_code"]))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        entities[entity] = {"title": TITLES[entity], "columns": columns,
                            "labels": {c: LABELS.get(c, c) for c in [*columns, "accuracy"]},
                            "total": _row(division_code or "全部", current, previous, columns), "rows": rows}
    return {"month": month, "division_code": division_code, "name": current.get("name") or division_code,
            "as_of": current.get("as_of"),
            "previous_as_of": previous.get("as_of"), "targets": TARGETS, "target_labels": TARGET_LABELS,
            "entities": entities,
            "accuracy": current.get("accuracy"), "by_collector": current.get("by_collector", {}),
            "notes": current.get("notes", [])}
