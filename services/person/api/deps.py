"""What the person routes are handed: the application service bound to the running service's stores, with the
address replica as its address port."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.kernel.deps import runtime
from services.kernel.replicas.address import require_usable_address
from services.kernel.runtime import Runtime
from services.person.application import PersonService
from services.person.views.persons import replica


def service_for(rt: Runtime) -> PersonService:
    async def addresses(code: str):
        return await require_usable_address(replica(rt), code, field="address_code")

    return PersonService(rt.store, rt.claims, addresses)


def service(rt: Annotated[Runtime, Depends(runtime)]) -> PersonService:
    return service_for(rt)


Service = Annotated[PersonService, Depends(service)]
Rt = Annotated[Runtime, Depends(runtime)]
