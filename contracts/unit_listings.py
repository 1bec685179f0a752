"""Key units and key locations (重点单位/重点部位) listed by request and approval, like key persons: police of the
unit's jurisdiction request (列管申请), a supervisor of that jurisdiction approves or rejects with reasons.

The events live on the unit's own stream (``unit-<id>``), so a listing follows the unit when it moves (迁址), and
the registry, the audit's history and every other reader fold them with the same ``evolve``. A key location
(重点部位) is a named part of the unit (财务室, 危化品仓库) with its own ``location_id`` and its own request.
Both follow contracts.listing's state machine (waiting states ``pending`` and ``release_pending``); a
supervisor's approve or reject decides whichever request is pending (列管 or 撤管).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from contracts.events import DomainEvent
from contracts.listing import DECIDED, Step, Workflow, change_entry, decided

#: the waiting states' names in a key unit's or key location's entry
KEY_LISTING = Workflow(requested="pending", release_requested="release_pending")
KeyListingState = Literal["pending", "listed", "rejected", "release_pending", "released"]
KEY_LISTING_STATES_ZH: dict[str, str] = {"pending": "待审批", "listed": "已列管", "rejected": "未通过",
                                         "release_pending": "撤管待审批", "released": "已撤管"}


class _Request(BaseModel):
    """Who asked for the listing, when and why (police of the unit's jurisdiction)."""

    unit_id: str
    reason: str = Field(description="列管理由")
    requested_by: str = Field(description="申请人 (the officer's id)")
    requested_on: date = Field(description="申请日期 (Beijing)")

    def request_entry(self) -> dict[str, Any]:
        return {"state": "pending", "reason": self.reason, "requested_by": self.requested_by,
                "requested_on": self.requested_on.isoformat(), "decided_by": None, "decided_on": None, "remark": ""}


class _ReleaseRequest(_Request):
    """撤管申请: who asks to release a listed key unit or location, when and why."""

    reason: str = Field(description="撤管理由")

    def released_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "state": "release_pending", "release_reason": self.reason,
                "release_requested_by": self.requested_by, "release_requested_on": self.requested_on.isoformat()}


class _Decision(BaseModel):
    """The supervisor's approval or refusal; ``remark`` carries the reasons (required for a refusal). ``decides``
    is which request it decides and whether it approves (contracts.listing.DECIDED: the state afterwards)."""

    decides: ClassVar[tuple[Step, bool]]
    unit_id: str
    decided_by: str = Field(description="审批人 (the supervisor's id)")
    decided_on: date = Field(description="审批日期 (Beijing)")
    remark: str = Field(default="", description="审批意见")

    def decided(self, entry: dict[str, Any]) -> dict[str, Any]:
        return decided(entry, DECIDED[self.decides], self.decided_by, self.decided_on, self.remark)


class _UnitDecision(_Decision):
    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "key_unit": self.decided(state.get("key_unit") or {})}


def _with_location(state: dict[str, Any], location_id: str, change) -> dict[str, Any]:
    return change_entry(state, "key_locations", "location_id", location_id, change)


class _LocationDecision(_Decision):
    location_id: str = Field(description="重点部位编号")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return _with_location(state, self.location_id, self.decided)


# 重点单位 ------------------------------------------------------------------------------------------------------
class KeyUnitListingRequested(DomainEvent, _Request):
    """重点单位列管申请: the unit is proposed as a key unit."""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "key_unit": self.request_entry()}


class KeyUnitListed(_UnitDecision, DomainEvent):
    """重点单位列管审批通过 → 已列管."""

    decides = ("listing", True)


class KeyUnitListingRejected(_UnitDecision, DomainEvent):
    """重点单位列管申请不通过."""

    decides = ("listing", False)


class KeyUnitReleaseRequested(DomainEvent, _ReleaseRequest):
    """重点单位撤管申请: a listed key unit is proposed for release; it stays listed until a supervisor decides."""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "key_unit": self.released_entry(state.get("key_unit") or {})}


class KeyUnitReleased(_UnitDecision, DomainEvent):
    """重点单位撤管审批通过 → 已撤管 (a new listing may be requested later)."""

    decides = ("release", True)


class KeyUnitReleaseRejected(_UnitDecision, DomainEvent):
    """重点单位撤管申请不通过: the unit stays listed."""

    decides = ("release", False)


# 重点部位 ------------------------------------------------------------------------------------------------------
class KeyLocationListingRequested(DomainEvent, _Request):
    """重点部位列管申请: a named part of the unit (财务室, 危化品仓库) proposed as a key location, its own entry."""

    location_id: str = Field(description="重点部位编号")
    name: str = Field(description="部位名称, e.g. 财务室")
    description: str = Field(default="", description="位置与防范措施, e.g. 三楼东侧，装有防盗门和监控")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        entry = {"location_id": self.location_id, "name": self.name, "description": self.description,
                 **self.request_entry()}
        return {**state, "key_locations": [*state.get("key_locations", []), entry]}


class KeyLocationListed(_LocationDecision, DomainEvent):
    """重点部位列管审批通过 → 已列管."""

    decides = ("listing", True)


class KeyLocationListingRejected(_LocationDecision, DomainEvent):
    """重点部位列管申请不通过."""

    decides = ("listing", False)


class KeyLocationReleaseRequested(DomainEvent, _ReleaseRequest):
    """重点部位撤管申请 (the part was closed, moved or no longer holds what made it key)."""

    location_id: str = Field(description="重点部位编号")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return _with_location(state, self.location_id, self.released_entry)


class KeyLocationReleased(_LocationDecision, DomainEvent):
    """重点部位撤管审批通过 → 已撤管."""

    decides = ("release", True)


class KeyLocationReleaseRejected(_LocationDecision, DomainEvent):
    """重点部位撤管申请不通过: the location stays listed."""

    decides = ("release", False)
