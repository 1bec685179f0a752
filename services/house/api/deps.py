"""What the house routes are handed: the application service bound to the running service's stores and
its address and person replicas, and the configured rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.house.application import HouseService
from services.house.config import house_settings
from services.house.views.houses import address_replica
from services.kernel.web.deps import runtime
from services.replicas.address import ReplicaAddress, require_usable_address
from services.replicas.links import replica_persons, replica_units
from services.house.occupants import OCCUPANTS
from services.house.parties import HOUSE_UNITS
from services.kernel.messaging.runtime import Runtime


def service_for(rt: Runtime) -> HouseService:
    """The service outside a request too (tests, tools)."""

    async def addresses(code: str, field: str) -> ReplicaAddress:
        return await require_usable_address(address_replica(rt), code, field)

    return HouseService(rt.store, rt.claims, addresses, replica_persons(rt, OCCUPANTS),
                        units=replica_units(rt, HOUSE_UNITS))


def service(rt: Annotated[Runtime, Depends(runtime)]) -> HouseService:
    return service_for(rt)


def rules():
    return house_settings().group_rental
