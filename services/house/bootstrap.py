"""Composition root of the house context (实有房屋): the one place that builds the application service and its
ports (event store, claims, the address/person/unit replicas: an address in use or 422 on the field, no wait) and the read-model port, for the API (FastAPI
dependencies), the agency-record consumer, the CLI and the tests. Routes are handed ``Service``, ``Reads`` and
the configured ``Rule``, never the Runtime.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.feeds.bootstrap import feed_task
from services.house.application import HouseService
from services.house.config import house_settings
from services.house.domain.supervision import GroupRentalRule
from services.house.occupants import OCCUPANTS
from services.house.parties import HOUSE_UNITS
from services.house.views.houses import address_replica
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.messaging.runtime import Runtime
from services.kernel.messaging.read_models import LiveReadModels, ReadModels
from services.kernel.web.deps import Reads, runtime  # noqa: F401 - Reads: the routes' read-model port
from services.replicas.address import replica_address_port
from services.replicas.links import PersonPort, UnitPort, replica_persons, replica_units


def application(store: EventStorePort, claims: ClaimsPort, reads: ReadModels, persons: PersonPort,
            units: UnitPort | None = None) -> HouseService:
    """The application over these ports (in-memory fakes in unit tests)."""
    return HouseService(store, claims, replica_address_port(lambda: address_replica(reads)), persons, units=units)


def for_runtime(rt: Runtime) -> HouseService:
    """The application of a running service (the routes, the agency-record consumer, tools)."""
    reads = LiveReadModels(rt)
    return application(rt.store, rt.claims, reads, replica_persons(reads, OCCUPANTS), replica_units(reads, HOUSE_UNITS))


def service(rt: Annotated[Runtime, Depends(runtime)]) -> HouseService:
    return for_runtime(rt)


def _rule() -> GroupRentalRule:
    return house_settings().group_rental


Service = Annotated[HouseService, Depends(service)]
#: the configured group-rental rule (群租房)
Rule = Annotated[GroupRentalRule, Depends(_rule)]


#: the house feed (docs/FEEDS.md): a background task built by services.feeds.bootstrap
house_feeds = feed_task("house")
