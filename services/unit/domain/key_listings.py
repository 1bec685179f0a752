"""重点单位/重点部位 列管 on the unit's own stream (contracts/unit_listings.py). Pure; mixed into the Unit aggregate.

Police of the unit's jurisdiction request, a supervisor of that jurisdiction approves or rejects with reasons (the
routes check roles, loading the unit checks the jurisdiction); this module checks the state. A step that does not
fit the state answers 409 naming it, a missing reason or name 422 naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.listing import LISTED, REQUESTABLE, decision
from contracts.unit_listings import (
    KEY_LISTING, KEY_LISTING_STATES_ZH, KeyLocationListed, KeyLocationListingRejected, KeyLocationListingRequested,
    KeyLocationReleased, KeyLocationReleaseRejected, KeyLocationReleaseRequested, KeyUnitListed,
    KeyUnitListingRejected, KeyUnitListingRequested, KeyUnitReleased, KeyUnitReleaseRejected, KeyUnitReleaseRequested,
)
from services.kernel.base.errors import NotFound, StateConflict, rejection_reasons, required

#: each kind's decision events (each declares which request it decides and whether it approves)
UNIT_DECISIONS = (KeyUnitListed, KeyUnitListingRejected, KeyUnitReleased, KeyUnitReleaseRejected)
LOCATION_DECISIONS = (KeyLocationListed, KeyLocationListingRejected, KeyLocationReleased, KeyLocationReleaseRejected)


def not_pending(what: str, rule: str, state: str | None, action: str) -> StateConflict:
    zh = KEY_LISTING_STATES_ZH.get(state or "", "未申请")
    return StateConflict(rule, f"cannot {action}: the {what} is {state or 'not requested'}",
                         f"当前列管状态为{zh}，不能执行该操作")


class KeyListings:
    """The key-unit listing (``state['key_unit']``) and the key locations (``state['key_locations']``)."""

    state: dict[str, Any]
    unit_id: str

    def request_key_unit(self, reason: str, requested_by: str, today: date) -> None:
        self._require_not_closed()  # type: ignore[attr-defined]
        reason = required("reason", reason, "列管理由")
        current = self._key_unit_state()
        if current not in REQUESTABLE:
            raise not_pending("key unit", "key_unit.illegal_transition", current, "request a listing (列管申请)")
        self.record(KeyUnitListingRequested(unit_id=self.unit_id, reason=reason,  # type: ignore[attr-defined]
                                            requested_by=requested_by, requested_on=today))

    def request_key_unit_release(self, reason: str, requested_by: str, today: date) -> None:
        """撤管申请: only a listed key unit (a closed one too: closing is a reason to release it)."""
        self._request_release("key unit", self._key_unit_state(), KeyUnitReleaseRequested, reason, requested_by,
                              today)

    def decide_key_unit(self, approve: bool, decided_by: str, today: date, remark: str = "") -> None:
        """Approve or reject whichever request is pending: the listing (列管) or the release (撤管)."""
        self._decide("key unit", self._key_unit_state(), UNIT_DECISIONS, approve, decided_by, today, remark)

    def request_key_location(self, location_id: str, name: str, reason: str, requested_by: str, today: date,
                             description: str = "") -> None:
        self._require_not_closed()  # type: ignore[attr-defined]
        name, reason = required("name", name, "部位名称"), required("reason", reason, "列管理由")
        taken = next((entry for entry in self.state.get("key_locations", [])
                      if entry["name"] == name and entry["state"] not in REQUESTABLE), None)
        if taken is not None:
            raise StateConflict("key_location.duplicate", f"the unit already has key location {name!r} "
                                f"({taken['location_id']}, {taken['state']})", f"重点部位“{name}”已登记")
        self.record(KeyLocationListingRequested(  # type: ignore[attr-defined]
            unit_id=self.unit_id, location_id=location_id, name=name, description=description.strip(),
            reason=reason, requested_by=requested_by, requested_on=today))

    def request_key_location_release(self, location_id: str, reason: str, requested_by: str, today: date) -> None:
        self._request_release("key location", self._location(location_id)["state"], KeyLocationReleaseRequested,
                              reason, requested_by, today, location_id=location_id)

    def decide_key_location(self, location_id: str, approve: bool, decided_by: str, today: date,
                            remark: str = "") -> None:
        self._decide("key location", self._location(location_id)["state"], LOCATION_DECISIONS, approve, decided_by,
                     today, remark, location_id=location_id)

    # one shape for both kinds ----------------------------------------------------------------------------
    def _request_release(self, what: str, state: str | None, event: type, reason: str, requested_by: str,
                         today: date, **location: str) -> None:
        reason = required("reason", reason, "撤管理由")
        if state != LISTED:
            raise not_pending(what, f"{what.replace(' ', '_')}.not_listed", state, "request a release (撤管申请)")
        self.record(event(unit_id=self.unit_id, reason=reason, requested_by=requested_by,  # type: ignore[attr-defined]
                          requested_on=today, **location))

    def _decide(self, what: str, state: str | None, decisions: tuple[type, ...], approve: bool, decided_by: str,
                today: date, remark: str, **location: str) -> None:
        step = KEY_LISTING.step(state)
        if step is None:
            raise not_pending(what, f"{what.replace(' ', '_')}.not_pending", state, "approve or reject")
        remark = remark.strip() if approve else rejection_reasons(remark)
        self.record(decision(decisions, step, approve)(  # type: ignore[attr-defined]
            unit_id=self.unit_id, decided_by=decided_by, decided_on=today, remark=remark, **location))

    def _key_unit_state(self) -> str | None:
        return (self.state.get("key_unit") or {}).get("state")

    def _location(self, location_id: str) -> dict[str, Any]:
        entry = next((e for e in self.state.get("key_locations", []) if e["location_id"] == location_id), None)
        if entry is None:
            raise NotFound("key location", location_id)
        return entry
