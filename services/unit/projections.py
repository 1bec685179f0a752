"""Read models of the unit service: the unit registry (fed by ybss.unit.events) and its own replica of the
address registry (fed by ybss.address.events, services.replicas.address).

The registry document of a unit *is* the fold of its stream through each event's ``evolve`` (contracts/
unit.py): the same state the aggregate decides on and the audit service shows, so the three cannot drift.
"""

from __future__ import annotations

from pymongo import ASCENDING

from contracts.events import event_class
from contracts.unit import (
    EmployeeHired, EmployeeLeft, LicenceAdded, RectificationFollowedUp, SpecialTradeAdded, SpecialTradeRemoved,
    UnitClosed, UnitDetailsCorrected, UnitInspected, UnitRegistered, UnitReopened, UnitSuspended, UsccRecorded,
)
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.replicas.address import address_replica

UNITS = "units"

registry = Projection("unit-registry", sources=["unit"], collections=[UNITS])
registry.index(UNITS, [("uscc", ASCENDING)])
registry.index(UNITS, [("address_code", ASCENDING)])
registry.index(UNITS, [("division_code", ASCENDING)])
registry.index(UNITS, [("employees.person_id", ASCENDING)])
registry.index(UNITS, [("special_trades.trade", ASCENDING), ("status", ASCENDING)])
registry.index(UNITS, [("inspections.rectification_deadline", ASCENDING)])

addresses = address_replica("unit-addresses")


@registry.handles(UnitRegistered, UnitDetailsCorrected, UsccRecorded, UnitSuspended, UnitClosed, UnitReopened, LicenceAdded, SpecialTradeAdded,
                  SpecialTradeRemoved, EmployeeHired, EmployeeLeft, UnitInspected, RectificationFollowedUp)
async def fold(tx: ProjectionTx) -> None:
    """The unit's state after this event, written with the stream version it reflects."""
    envelope, units = tx.envelope, tx.collection(UNITS)
    unit_id = envelope.payload["unit_id"]
    stored = await units.find_one({"_id": unit_id}, session=tx.session) or {}
    state = {key: value for key, value in stored.items() if not key.startswith("_")}
    state = event_class(envelope.event_type).model_validate(envelope.payload).evolve(state)
    await units.replace_one({"_id": unit_id}, {**state, "_id": unit_id, "_version": envelope.version},
                            upsert=True, session=tx.session)
