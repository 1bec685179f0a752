"""重点单位/重点部位 lists over the unit registry: the pending requests (待审批: 列管 and 撤管, both kinds, one row per
request), the listed key units (one row per unit; a release pending is still listed) and the listed key locations
(one row per location), in unit id order
within the caller's jurisdiction. The registry document is the unit's fold, so a relocated unit's listings are
listed under its new division."""

from __future__ import annotations

from typing import Any

from contracts.unit_listings import KEY_LISTING
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import Segment, Worklist, many_each, one_each
from services.unit.views.units import units

PENDING, LISTED = list(KEY_LISTING.awaiting), sorted(KEY_LISTING.active)
UNIT_FIELDS = ("name", "uscc", "division_code", "address_code", "address_name", "status")


def _unit_facts(document: dict) -> dict[str, Any]:
    return {"unit_id": document["_id"], **{field: document.get(field) for field in UNIT_FIELDS}}


def _key_unit_row(document: dict) -> dict[str, Any]:
    return {"kind": "key_unit", **_unit_facts(document), **document["key_unit"]}


def _location_rows(document: dict, states: list[str]) -> list[dict[str, Any]]:
    facts = _unit_facts(document)
    facts["unit_name"] = facts.pop("name")  # the row's name is the location's
    return [{"kind": "key_location", **facts, **entry}
            for entry in document.get("key_locations", []) if entry["state"] in states]


def pending_requests(reads: ReadModels, scope: dict) -> Worklist:
    """待审批: every key-unit and key-location request (列管 or 撤管) awaiting a supervisor, the unit's own first."""
    query = {"$or": [{"key_unit.state": {"$in": PENDING}}, {"key_locations.state": {"$in": PENDING}}], **scope}

    def shape(document: dict) -> list[dict]:
        unit = [_key_unit_row(document)] if (document.get("key_unit") or {}).get("state") in PENDING else []
        return unit + _location_rows(document, PENDING)

    return Worklist.of(Segment(units(reads), query, many_each(shape), one_per_document=False))


def key_units(reads: ReadModels, scope: dict) -> Worklist:
    """已列管的重点单位 (a release pending still counts: it is listed until a supervisor approves it)."""
    return Worklist.of(Segment(units(reads), {"key_unit.state": {"$in": LISTED}, **scope},
                               one_each(_key_unit_row)))


def key_locations(reads: ReadModels, scope: dict) -> Worklist:
    """已列管的重点部位, one row each, with the unit it belongs to."""
    return Worklist.of(Segment(units(reads), {"key_locations.state": {"$in": LISTED}, **scope},
                               many_each(lambda document: _location_rows(document, LISTED)),
                               one_per_document=False))
