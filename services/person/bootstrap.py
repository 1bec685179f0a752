"""Composition root of the person context (实有人口): the one place that builds the application service and
its ports, for the API (FastAPI dependencies), the agency-record consumer, the alerts relay, the CLI and the tests.

``application`` builds a PersonService over any event store, claims and read models (the in-memory fakes in unit
tests); ``for_runtime`` over a running service's. Routes receive the service and the read-model port through
the dependencies below, never the Runtime.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Callable

from fastapi import Depends
from pymongo.asynchronous.collection import AsyncCollection

from services.feeds.bootstrap import feed_task
from services.kernel.web.deps import Reads, runtime  # noqa: F401 - Reads: the routes' read-model port
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.messaging.read_models import LiveReadModels, ReadModels
from services.kernel.messaging.runtime import Runtime
from services.person.addresses import PersonAddresses
from services.person.application import PersonService
from services.person.watch import alerts


def application(store: EventStorePort, claims: ClaimsPort, reads: ReadModels, **options) -> PersonService:
    """The application over these ports; its address port is the read side's address replica."""
    return PersonService(store, claims, PersonAddresses(reads), **options)


def for_runtime(rt: Runtime) -> PersonService:
    """The application of a running service (the routes, the agency-record consumer, tools)."""
    return application(rt.store, rt.claims, LiveReadModels(rt))


def service(rt: Annotated[Runtime, Depends(runtime)]) -> PersonService:
    return for_runtime(rt)


def _alerts(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncCollection:
    return rt.db[alerts.ALERTS]


def _alert_handling(rt: Annotated[Runtime, Depends(runtime)]) -> Callable:
    return partial(alerts.handle, rt.db)


#: what a route declares to be handed the application service
Service = Annotated[PersonService, Depends(service)]
#: the watch alerts' list (outside the projections' generations) and their 签收/处置
Alerts = Annotated[AsyncCollection, Depends(_alerts)]
AlertHandling = Annotated[Callable, Depends(_alert_handling)]


async def relay_alerts(rt: Runtime) -> None:
    """The watch alerts' outbox relay (a background task) over the service's database, producer and settings."""
    await alerts.relay_alerts(rt.db, rt.producer, rt.settings)


#: the person and key-person feeds (docs/FEEDS.md): a background task built by services.feeds.bootstrap
person_feeds = feed_task("person")
