"""Key units and key locations (重点单位/重点部位) listed by request and approval, like key persons: police of the
unit's jurisdiction request (列管申请), a supervisor of that jurisdiction approves or rejects with reasons.

The events live on the unit's own stream (``unit-<id>``), so a listing follows the unit when it moves (迁址), and
the registry, the audit's history and every other reader fold them with the same ``evolve``. A key location
(重点部位) is a named part of the unit (财务室, 危化品仓库) with its own ``location_id`` and its own request.

    (none or rejected) ──request──▶ pending ──approve──▶ listed
                                           └──reject───▶ rejected (a new request may follow)
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from contracts.events import DomainEvent

KeyListingState = Literal["pending", "listed", "rejected"]
KEY_LISTING_STATES_ZH: dict[str, str] = {"pending": "待审批", "listed": "已列管", "rejected": "未通过"}


class _Request(BaseModel):
    """Who asked for the listing, when and why (police of the unit's jurisdiction)."""

    unit_id: str
    reason: str = Field(description="列管理由")
    requested_by: str = Field(description="申请人 (the officer's id)")
    requested_on: date = Field(description="申请日期 (Beijing)")

    def request_entry(self) -> dict[str, Any]:
        return {"state": "pending", "reason": self.reason, "requested_by": self.requested_by,
                "requested_on": self.requested_on.isoformat(), "decided_by": None, "decided_on": None, "remark": ""}


class _Decision(BaseModel):
    """The supervisor's approval or refusal; ``remark`` carries the reasons (required for a refusal)."""

    unit_id: str
    decided_by: str = Field(description="审批人 (the supervisor's id)")
    decided_on: date = Field(description="审批日期 (Beijing)")
    remark: str = Field(default="", description="审批意见")

    def decided(self, entry: dict[str, Any], state: KeyListingState) -> dict[str, Any]:
        return {**entry, "state": state, "decided_by": self.decided_by, "decided_on": self.decided_on.isoformat(),
                "remark": self.remark}


class KeyUnitListingRequested(DomainEvent, _Request):
    """重点单位列管申请: the unit is proposed as a key unit."""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "key_unit": self.request_entry()}


class KeyUnitListed(DomainEvent, _Decision):
    """重点单位列管审批通过 → 已列管."""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "key_unit": self.decided(state.get("key_unit") or {}, "listed")}


class KeyUnitListingRejected(DomainEvent, _Decision):
    """重点单位列管申请不通过."""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "key_unit": self.decided(state.get("key_unit") or {}, "rejected")}


def _with_location(state: dict[str, Any], location_id: str, change) -> dict[str, Any]:
    locations = [change(entry) if entry["location_id"] == location_id else entry
                 for entry in state.get("key_locations", [])]
    return {**state, "key_locations": locations}


class KeyLocationListingRequested(DomainEvent, _Request):
    """重点部位列管申请: a named part of the unit (财务室, 危化品仓库) proposed as a key location, its own entry."""

    location_id: str = Field(description="重点部位编号")
    name: str = Field(description="部位名称, e.g. 财务室")
    description: str = Field(default="", description="位置与防范措施, e.g. 三楼东侧，装有防盗门和监控")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        entry = {"location_id": self.location_id, "name": self.name, "description": self.description,
                 **self.request_entry()}
        return {**state, "key_locations": [*state.get("key_locations", []), entry]}


class KeyLocationListed(DomainEvent, _Decision):
    """重点部位列管审批通过 → 已列管."""

    location_id: str = Field(description="重点部位编号")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return _with_location(state, self.location_id, lambda entry: self.decided(entry, "listed"))


class KeyLocationListingRejected(DomainEvent, _Decision):
    """重点部位列管申请不通过."""

    location_id: str = Field(description="重点部位编号")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return _with_location(state, self.location_id, lambda entry: self.decided(entry, "rejected"))
