"""Composition root of the address context (标准地址): the one place that builds the application service with
its ports (event store, claims, the configured numbering rules) for the API (FastAPI dependencies), the CLI
and the tests. Routes are handed ``Service`` and ``Reads`` (the read-model port), never the Runtime.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.address.application import AddressService
from services.address.config import AddressSettings, address_settings
from services.feeds.bootstrap import feed_task
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.messaging.runtime import Runtime
from services.kernel.web.deps import Reads, runtime  # noqa: F401 - Reads: the routes' read-model port


def application(store: EventStorePort, claims: ClaimsPort, settings: AddressSettings | None = None) -> AddressService:
    """The application over these ports (in-memory fakes in unit tests)."""
    return AddressService(store, claims, settings or address_settings())


def for_runtime(rt: Runtime) -> AddressService:
    """The application of a running service (the routes, tools, the tests' stricter variants)."""
    return application(rt.store, rt.claims)


def service(rt: Annotated[Runtime, Depends(runtime)]) -> AddressService:
    return for_runtime(rt)


Service = Annotated[AddressService, Depends(service)]


#: the door-plate and place feeds (docs/FEEDS.md): a background task built by services.feeds.bootstrap
address_feeds = feed_task("address")
