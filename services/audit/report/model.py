"""The monthly report (每月通报) as data: per entity type, each sub-division's metrics ranked by how far its rates
reach the notice's targets, with the change from last month. Pure: it takes the month's quality figures, the
previous month's figures *as published* (its frozen report) and the corrections made to them since.

Records held at the scope itself (a county's records not yet placed in a township) are shown apart as
"尚未落到乡镇/街道", never ranked as if they were a township. Times are Beijing time in words.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from services.audit.domain.assessment import attainment as assessed_attainment
from services.audit.domain.targets import NOTICE, in_force
from services.audit.report.wording import beijing, month_words, previous_month, unplaced

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
#: per entity type, the rates a sub-division is ranked by (each against its target in TARGETS), with accuracy
RANKED_BY: dict[str, list[str]] = {
    "address": ["doorplates_collection_rate", "accuracy"],
    "person": ["persons_collection_rate", "persons_link_rate", "accuracy"],
    "house": ["houses_collection_rate", "houses_link_rate", "accuracy"],
    "unit": ["units_collection_rate", "units_link_rate", "accuracy"],
}
NOT_PLACED = frozenset({"unknown", ""})  #: sub-division keys that are no sub-division
TARGET_LABELS = {"persons_collection_rate": "人口采集率", "persons_link_rate": "人口关联率", "accuracy": "准确率",
                 "doorplates_collection_rate": "门牌采集率", "houses_collection_rate": "房屋采集率",
                 "units_collection_rate": "单位采集率", "houses_link_rate": "房屋关联率", "units_link_rate": "单位关联率"}
#: the notice's targets of the rates ranked here (version 0); a division's configured targets replace them
#: (services.audit.domain.targets: a version per setting, the report names the one it used)
TARGETS = {metric: NOTICE[metric] for metric in TARGET_LABELS}


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


def accuracy_rate(figures: dict[str, Any]) -> float | None:
    """准确率 of a division's figures: the share of inspected records found right (None: none inspected)."""
    records = (figures.get("accuracy") or {}).get("records") or {}
    return records.get("rate") if records.get("inspected") else None


def attainment(row: dict[str, Any], ranked_by: list[str], targets: dict[str, float] = TARGETS) -> float | None:
    """达标程度: the mean over the section's rates of rate / target, each capped at 1 (None: no rate known); the
    assessment's one rule (services.audit.domain.assessment.attainment)."""
    return assessed_attainment({metric: row.get(metric) for metric in ranked_by}, targets)


def _row(code: str, now: dict[str, Any], before: dict[str, Any], columns: list[str],
         ranked_by: list[str], targets: dict[str, float] = TARGETS) -> dict[str, Any]:
    values = {column: now.get(column) for column in columns}
    row = {"division_code": code, "name": now.get("name") or code, **values, "accuracy": accuracy_rate(now),
           "change": {column: _change(now.get(column), before.get(column)) for column in columns}}
    row["attainment"] = attainment(row, ranked_by, targets)
    row["below_target"] = [metric for metric in ranked_by if isinstance(row.get(metric), (int, float))
                           and row[metric] < targets[metric]]
    return row


def _rank_key(row: dict[str, Any], columns: list[str]) -> tuple:
    """Highest attainment first; rows without any rate after those with one; then the larger first figure."""
    score = row["attainment"]
    return (score is None, -(score or 0), -(row.get(columns[0]) or 0), row["division_code"])


def corrections(month: str, published: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    """更正: every figure of a closed ``month`` that differs now from what its frozen report published (events that
    reached the archive after the month was frozen), for the division (``row`` total) and each sub-division."""
    metrics = [column for columns in COLUMNS.values() for column in columns]
    scope = published.get("division_code") or ""
    before_subs, after_subs = published.get("by_sub_division", {}), now.get("by_sub_division", {})
    pairs = [("total", scope, published, now)]
    pairs += [("sub_division", code, before_subs.get(code, {}), after_subs.get(code, {}))
              for code in sorted(set(before_subs) | set(after_subs))]
    lines = []
    for row, code, before, after in pairs:
        name = after.get("name") or before.get("name") or code
        if row == "sub_division" and (code == scope or code in NOT_PLACED):
            name = unplaced(scope or None) if code == scope else "区划不明"
        for metric in metrics:
            difference = _change(after.get(metric), before.get(metric))
            if difference:
                lines.append({"month": month, "row": row, "division_code": code, "name": name, "metric": metric,
                              "label": LABELS.get(metric, metric), "published": before.get(metric),
                              "now": after.get(metric), "difference": difference})
    return lines


def build(month: str, division_code: str | None, current: dict[str, Any], previous: dict[str, Any],
          corrected: list[dict[str, Any]] | None = None, configured: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report: per entity, the division's total row, a row per sub-division ranked against the targets, and
    the records not yet placed in a sub-division apart; ``previous`` is last month as published; ``configured``:
    the targets in force (services.audit.domain.targets.in_force), default the notice's (version 0)."""
    scope = division_code or ""
    configured = configured or in_force([], scope)
    targets = {metric: configured["targets"].get(metric, value) for metric, value in TARGETS.items()}
    entities = {}
    before_subs = previous.get("by_sub_division", {})
    for entity, columns in COLUMNS.items():
        ranked_by = RANKED_BY[entity]
        rows, apart = [], []
        for code, values in current.get("by_sub_division", {}).items():
            row = _row(code, values, before_subs.get(code, {}), columns, ranked_by, targets)
            if code == scope or code in NOT_PLACED:
                row["name"] = unplaced(division_code) if code == scope else "区划不明"
                apart.append(row)
            else:
                rows.append(row)
        rows.sort(key=lambda row: _rank_key(row, columns))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        entities[entity] = {"title": TITLES[entity], "columns": columns, "ranked_by": ranked_by,
                            "labels": {c: LABELS.get(c, c) for c in [*columns, "accuracy"]},
                            "total": _row(division_code or "全部", current, previous, columns, ranked_by, targets),
                            "rows": rows, "not_placed": apart}
    as_of = current.get("as_of")
    return {"month": month, "division_code": division_code, "name": current.get("name") or division_code,
            "as_of": as_of, "previous_as_of": previous.get("as_of"),
            "as_of_text": f"截至 {beijing(as_of)}" if as_of else "",
            "previous_text": f"环比：{month_words(previous_month(month))}",
            "targets": targets, "targets_version": {key: configured[key] for key in ("division_code", "version",
                                                                                      "source")},
            "target_labels": TARGET_LABELS, "entities": entities,
            "corrections": corrected or [],
            "accuracy": current.get("accuracy"), "by_collector": current.get("by_collector", {}),
            "notes": current.get("notes", [])}
