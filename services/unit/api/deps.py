"""What the unit routes are handed: the application service bound to the running service's stores and its
address replica, and the configured inspection cycles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.kernel.web.deps import runtime
from services.replicas.address import ReplicaAddress, require_usable_address
from services.replicas.links import replica_persons
from services.unit.persons import UNIT_PERSONS
from services.kernel.messaging.runtime import Runtime
from services.unit.application import UnitService
from services.unit.config import unit_settings
from services.unit.views.units import address_replica


def service_for(rt: Runtime) -> UnitService:
    """The service outside a request too (tests, tools)."""

    async def addresses(code: str, field: str) -> ReplicaAddress:
        return await require_usable_address(address_replica(rt), code, field)

    return UnitService(rt.store, rt.claims, addresses, replica_persons(rt, UNIT_PERSONS))


def service(rt: Annotated[Runtime, Depends(runtime)]) -> UnitService:
    return service_for(rt)


def cycles() -> dict[str, int]:
    return unit_settings().cycles
