"""What the address routes are handed: the application service bound to the running service's stores."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.address.application import AddressService
from services.address.config import address_settings
from services.kernel.web.deps import runtime
from services.kernel.messaging.runtime import Runtime


def service(rt: Annotated[Runtime, Depends(runtime)]) -> AddressService:
    return AddressService(rt.store, rt.claims, address_settings())


def service_for(rt: Runtime) -> AddressService:
    """The same service outside a request (tests, tools)."""
    return AddressService(rt.store, rt.claims, address_settings())
