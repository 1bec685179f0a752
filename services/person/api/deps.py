"""What the person routes are handed: the application service bound to the running service's stores, with the
address replica as its address port."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import Depends

from services.kernel.web.deps import runtime
from services.kernel.base.errors import DomainRuleViolation
from services.replicas.address import require_usable_address
from services.kernel.messaging.runtime import Runtime
from services.person.application import PersonService
from services.person.views.persons import replica


#: an address registered a moment ago may not have reached the replica yet: wait this long before "unknown"
UNKNOWN_ADDRESS_WAIT_SECONDS = 2.0


def service_for(rt: Runtime) -> PersonService:
    async def addresses(code: str):
        deadline = time.monotonic() + UNKNOWN_ADDRESS_WAIT_SECONDS
        while True:
            try:
                return await require_usable_address(replica(rt), code, field="address_code")
            except DomainRuleViolation as error:
                if error.rule != "address.unknown" or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.1)

    return PersonService(rt.store, rt.claims, addresses)


def service(rt: Annotated[Runtime, Depends(runtime)]) -> PersonService:
    return service_for(rt)


Service = Annotated[PersonService, Depends(service)]
Rt = Annotated[Runtime, Depends(runtime)]
