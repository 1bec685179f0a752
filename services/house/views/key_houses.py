"""重点房屋 lists over the house registry: the key houses, and the key-status requests (管理等级/重点房屋申请)
by state, the pending ones being a supervisor's worklist. One flat row per item, so the csv/xlsx export reads
like the page."""

from __future__ import annotations

from typing import Any

from services.house.views.houses import houses
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import Segment, Worklist, many_each, one_each

HOUSE_FIELDS = ("address_code", "address_name", "division_code", "use")


def _house_row(document: dict[str, Any]) -> dict[str, Any]:
    return {"house_id": document["_id"], **{field: document.get(field) for field in HOUSE_FIELDS},
            "status": document.get("status", "active")}  # 在用, until 拆除/灭失


def key_houses(reads: ReadModels, scope: dict, management_level: str | None = None) -> Worklist:
    """重点房屋 inside ``scope`` (optionally of one management level), in house id order."""
    query = {"key_house": True, **scope}
    if management_level:
        query["management_level"] = management_level

    def row(document: dict[str, Any]) -> dict[str, Any]:
        approved = [r for r in document.get("key_status_requests", []) if r["state"] == "approved"]
        return {**_house_row(document), "management_level": document.get("management_level"),
                "key_reason": document.get("key_reason"),
                "approved_on": approved[-1]["decided_on"] if approved else None,
                "request_id": approved[-1]["request_id"] if approved else None}

    return Worklist.of(Segment(houses(reads), query, one_each(row)))


def key_status_requests(reads: ReadModels, scope: dict, state: str = "pending") -> Worklist:
    """Key-status requests in ``state`` inside ``scope``: one row per request, with its house, in house id order
    (a house has at most one pending request; decided ones may be several)."""
    query = {"key_status_requests": {"$elemMatch": {"state": state}}, **scope}

    def rows(document: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**_house_row(document), "current_management_level": document.get("management_level"),
                 "current_key_house": bool(document.get("key_house")), **request}
                for request in document.get("key_status_requests", []) if request["state"] == state]

    return Worklist.of(Segment(houses(reads), query, many_each(rows), one_per_document=state == "pending"))
