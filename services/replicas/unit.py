"""A service's own replica of the unit registry's published facts (ybss.unit.events), for a command that names a
unit as a party: a house's owner, lessor or security person given by ``unit_id`` (单位产权/单位出租).

One small document per unit: name, jurisdiction and trading status (open, suspended, closed), each written from
the unit's own stream in order. Employees, licences and inspections stay in the unit service.
"""

from __future__ import annotations

from contracts.unit import (
    UnitClosed, UnitDetailsCorrected, UnitRegistered, UnitRelocated, UnitRenamed, UnitReopened, UnitSuspended,
)
from services.kernel.messaging.projection import Projection, ProjectionTx

UNITS = "units"
STATUS_AFTER = {"UnitSuspended": "suspended", "UnitClosed": "closed", "UnitReopened": "open"}


def unit_replica(name: str) -> Projection:
    """A projection ``name`` over ybss.unit.events keeping ``units`` (name, division_code, status)."""
    projection = Projection(name, sources=["unit"], collections=[UNITS])

    async def update(tx: ProjectionTx, unit_id: str, change: dict) -> None:
        await tx.collection(UNITS).update_one({"_id": unit_id}, {"$set": change}, upsert=True, session=tx.session)

    @projection.handles(UnitRegistered)
    async def registered(tx: ProjectionTx) -> None:
        payload = tx.envelope.payload
        await update(tx, payload["unit_id"], {"name": payload.get("name"), "division_code": payload.get("division_code"),
                                              "status": "open"})

    @projection.handles(UnitSuspended, UnitClosed, UnitReopened)
    async def status(tx: ProjectionTx) -> None:
        await update(tx, tx.envelope.payload["unit_id"], {"status": STATUS_AFTER[tx.envelope.event_type]})

    @projection.handles(UnitRelocated)
    async def relocated(tx: ProjectionTx) -> None:  # 迁址: the unit's jurisdiction follows its new address
        await update(tx, tx.envelope.payload["unit_id"], {"division_code": tx.envelope.payload["division_code"]})

    @projection.handles(UnitDetailsCorrected, UnitRenamed)  # a corrected name, or 名称变更
    async def renamed(tx: ProjectionTx) -> None:
        if tx.envelope.payload.get("name"):
            await update(tx, tx.envelope.payload["unit_id"], {"name": tx.envelope.payload["name"]})

    return projection
