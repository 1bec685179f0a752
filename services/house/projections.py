"""Read models of the house service: the house registry (fed by ybss.house.events) and its own replica of
the address registry (fed by ybss.address.events, services.replicas.address).

The registry document of a house *is* the fold of its stream through each event's ``evolve`` (contracts/
house.py): the same state the aggregate decides on and the audit service shows, so the three cannot drift.
"""

from __future__ import annotations

from pymongo import ASCENDING

from contracts.events import event_class
from contracts.house import (
    HouseChecked, HouseDetailsCorrected, HouseKeyStatusSet, HouseOwnerChanged, HouseRegistered, HouseUseChanged, RentalEnded, RentalStarted,
    TenantMovedIn, TenantMovedOut,
)
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.replicas.address import address_replica

HOUSES = "houses"

registry = Projection("house-registry", sources=["house"], collections=[HOUSES])
registry.index(HOUSES, [("address_code", ASCENDING)])
registry.index(HOUSES, [("division_code", ASCENDING)])
registry.index(HOUSES, [("rentals.tenants.person_id", ASCENDING)])
registry.index(HOUSES, [("rentals.status", ASCENDING), ("division_code", ASCENDING)])

addresses = address_replica("house-addresses")


@registry.handles(HouseRegistered, HouseDetailsCorrected, HouseUseChanged, HouseOwnerChanged, HouseKeyStatusSet, RentalStarted,
                  TenantMovedIn, TenantMovedOut, RentalEnded, HouseChecked)
async def fold(tx: ProjectionTx) -> None:
    """The house's state after this event, written with the stream version it reflects."""
    envelope, houses = tx.envelope, tx.collection(HOUSES)
    house_id = envelope.payload["house_id"]
    stored = await houses.find_one({"_id": house_id}, session=tx.session) or {}
    state = {key: value for key, value in stored.items() if not key.startswith("_")}
    state = event_class(envelope.event_type).model_validate(envelope.payload).evolve(state)
    registered_at = stored.get("_registered_at", envelope.occurred_at)
    await houses.replace_one({"_id": house_id}, {
        **state, "_id": house_id, "_version": envelope.version, "_registered_at": registered_at,
        "_updated_at": envelope.occurred_at}, upsert=True, session=tx.session)
