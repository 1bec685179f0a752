"""Composition root of the unit context (实有单位): the one place that builds the application service and its
ports (event store, claims, the address and person replicas: an address in use or 422 on the field, no wait)
and the read-model port, for the API (FastAPI dependencies), the agency-record consumer, the CLI and the tests.
Routes are handed ``Service``, ``Reads`` and the configured ``Cycles``, never the Runtime.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.feeds.bootstrap import feed_task
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.messaging.read_models import LiveReadModels, ReadModels
from services.kernel.messaging.runtime import Runtime
from services.kernel.web.deps import Reads, runtime  # noqa: F401 - Reads: the routes' read-model port
from services.replicas.address import replica_address_port
from services.replicas.links import PersonPort, replica_persons
from services.unit.application import UnitService
from services.unit.config import unit_settings
from services.unit.persons import UNIT_PERSONS
from services.unit.views.units import address_replica


def application(store: EventStorePort, claims: ClaimsPort, reads: ReadModels, persons: PersonPort) -> UnitService:
    """The application over these ports (in-memory fakes in unit tests)."""
    return UnitService(store, claims, replica_address_port(lambda: address_replica(reads)), persons)


def for_runtime(rt: Runtime) -> UnitService:
    """The application of a running service (the routes, the agency-record consumer, tools)."""
    reads = LiveReadModels(rt)
    return application(rt.store, rt.claims, reads, replica_persons(reads, UNIT_PERSONS))


def service(rt: Annotated[Runtime, Depends(runtime)]) -> UnitService:
    return for_runtime(rt)


def _cycles() -> dict[str, int]:
    return unit_settings().cycles


Service = Annotated[UnitService, Depends(service)]
#: the configured inspection cycles (检查周期) in days per kind
Cycles = Annotated[dict, Depends(_cycles)]


#: the unit feed (docs/FEEDS.md): a background task built by services.feeds.bootstrap
unit_feeds = feed_task("unit")
