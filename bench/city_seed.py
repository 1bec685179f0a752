"""A generated city's events made by the registries' own application services, in process, for read benches.

``ybss city load`` sends each record over HTTP (≈140 records/s today); a read bench at the size of the city needs
the events those commands append, not the transport. ``InProcessTransport`` is the loader's transport
(services/city/transport.py) with each route's command model and application-service method called directly:
the address, person, house and unit services on the kernel's in-memory event stores and claims
(services/kernel/eventsourcing/memory.py), built as their composition roots build them, so every registry rule,
duplicate claim and event payload is the platform's own. The cross-context replicas a command consults (the
address replica, the person and unit replicas) are the real replica projections (services/replicas) applied to
dict-backed collections as each command's events are appended: a replica that never lags.

Every appended event is published as the outbox relay publishes it (key = stream id, the envelope's bytes and
headers: services.kernel.messaging.parking.stored_record's shape) to ``<namespace>.<context>.events``, so the read
models are then built by the real rebuild path (``ybss rebuild``) or the services' own consumers.

Not exercised: HTTP, authentication and the MongoDB event store (their cost is what ``ybss city load`` measures).
"""

from __future__ import annotations

import asyncio
import copy
import re
from types import SimpleNamespace
from typing import Any, Callable

from pydantic import BaseModel, RootModel, ValidationError

from contracts.envelope import Actor, EventEnvelope
from contracts.topics import events_topic
from services.address.bootstrap import application as address_application
from services.address.commands import GenerateBuilding, RegisterDoorplate, RegisterPlace, RetireDoorplate
from services.city.transport import Answer
from services.house.application import HouseService
from services.house.commands import AddTenant, RecordCheck, RegisterHouse, StartRental
from services.kernel.base.errors import (ConcurrencyConflict, DomainRuleViolation, Forbidden, NotCaughtUp, NotFound,
                                         StateConflict)
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.kernel.web.authz import Scope
from services.person.application import PersonService
from services.person.commands import ApplyKeyPersonListing, CancelPerson, Decide, MoveIn, RegisterPerson
from services.replicas.address import address_replica, lookup_address, replica_address_port, require_usable_address
from services.replicas.links import linkable_person, linkable_unit
from services.replicas.person import PERSONS, person_replica
from services.replicas.unit import UNITS, unit_replica
from services.unit.application import UnitService
from services.unit.commands import AddSpecialTrade, Hire, Inspect, RegisterUnit

ORGANISATION = "532503"  #: the loader's officers: 蒙自市公安局 (services.city.transport.local_token)

#: (service, route pattern, command model, application method): the routes services/city/kinds.py names
ROUTES: list[tuple[str, re.Pattern, type[BaseModel], str]] = [(s, re.compile(f"^{p}$"), m, f) for s, p, m, f in (
    ("address", "/v1/places", RegisterPlace, "register_place"),
    ("address", "/v1/doorplates", RegisterDoorplate, "register_doorplate"),
    ("address", "/v1/doorplates/([^/]+)/buildings", GenerateBuilding, "generate_building"),
    ("address", "/v1/doorplates/([^/]+)/retire", RetireDoorplate, "retire_doorplate"),
    ("person", "/v1/persons", RegisterPerson, "register"),
    ("person", "/v1/persons/([^/]+)/residence", MoveIn, "move_in"),
    ("person", "/v1/persons/([^/]+)/cancel", CancelPerson, "cancel"),
    ("person", "/v1/key-persons", ApplyKeyPersonListing, "apply_key_person_listing"),
    ("person", "/v1/key-persons/([^/]+)/approve", Decide, "approve_key_person"),
    ("house", "/v1/houses", RegisterHouse, "register"),
    ("house", "/v1/houses/([^/]+)/rentals", StartRental, "start_rental"),
    ("house", "/v1/houses/([^/]+)/rentals/([^/]+)/tenants", AddTenant, "add_tenant"),
    ("house", "/v1/houses/([^/]+)/checks", RecordCheck, "record_check"),
    ("unit", "/v1/units", RegisterUnit, "register"),
    ("unit", "/v1/units/([^/]+)/special-trades", AddSpecialTrade, "add_special_trade"),
    ("unit", "/v1/units/([^/]+)/employees", Hire, "hire"),
    ("unit", "/v1/units/([^/]+)/inspections", Inspect, "inspect"),
)]


class DictCollection:
    """A replica's collection by _id: the few operations the replica projections and their lookups use."""

    def __init__(self) -> None:
        self.documents: dict[Any, dict] = {}

    async def find_one(self, query: dict, *args: Any, **kwargs: Any) -> dict | None:
        document = self.documents.get(query["_id"])
        if document is None or any(document.get(k) != v for k, v in query.items() if k != "_id"):
            return None
        return copy.deepcopy(document)

    async def replace_one(self, query: dict, document: dict, upsert: bool = False, **kwargs: Any) -> None:
        if upsert or query["_id"] in self.documents:
            self.documents[query["_id"]] = {**copy.deepcopy(document), "_id": query["_id"]}

    async def update_one(self, query: dict, update: dict, upsert: bool = False, **kwargs: Any) -> None:
        unknown = set(update) - UPDATES.keys()
        if unknown:
            raise NotImplementedError(f"replica update {sorted(unknown)}")
        inserting = query["_id"] not in self.documents
        if inserting and not upsert:
            return
        document = self.documents.setdefault(query["_id"], {"_id": query["_id"]})
        for operator, changes in update.items():
            if operator != "$setOnInsert" or inserting:
                for path, value in changes.items():
                    UPDATES[operator](*_parent(document, path), copy.deepcopy(value))


def _parent(document: dict, path: str) -> tuple[dict, str]:
    """(the dict holding ``path``'s last key, that key): ``key_persons.K`` is K inside key_persons."""
    *heads, key = path.split(".")
    for head in heads:
        document = document.setdefault(head, {})
    return document, key


#: the update operators the replica projections use, each on (holder, key, value)
UPDATES: dict[str, Callable[[dict, str, Any], None]] = {
    "$set": lambda holder, key, value: holder.__setitem__(key, value),
    "$setOnInsert": lambda holder, key, value: holder.__setitem__(key, value),
    "$inc": lambda holder, key, value: holder.__setitem__(key, holder.get(key, 0) + value),
    "$push": lambda holder, key, value: holder.setdefault(key, []).append(value),
}


class Replica:
    """One replica projection over dict collections, applied to each event as it is appended."""

    def __init__(self, projection) -> None:
        self.projection = projection
        self.collections: dict[str, DictCollection] = {}

    def collection(self, name: str) -> DictCollection:
        return self.collections.setdefault(name, DictCollection())

    async def apply(self, envelope: EventEnvelope) -> None:
        await self.projection.apply(SimpleNamespace(envelope=envelope, session=None, collection=self.collection))


class PersonAddressPort:
    """The person service's address port (services.person.addresses.PersonAddresses) over the replica: no wait
    (the replica never lags here) and no demolished-house rule (the generated city demolishes nothing)."""

    def __init__(self, collection: DictCollection) -> None:
        self.collection = collection

    async def lookup(self, code: str):
        return await lookup_address(self.collection, code)

    async def __call__(self, code: str, field: str = "address_code"):
        return await require_usable_address(self.collection, code, field)


def context_of(role: str) -> CommandContext:
    actor = Actor(id=f"city-loader-{role}", role=role, organisation_code=ORGANISATION)
    scope = Scope.of(actor)

    def jurisdiction(division_code: str | None, what: str = "record") -> None:
        if not scope.covers(division_code):
            raise Forbidden(f"{what} belongs to division {division_code}, outside your jurisdiction {scope}",
                            record_division=division_code, caller_scope=scope.prefix)

    return CommandContext(actor=actor, correlation_id="city-seed", jurisdiction=jurisdiction)


class InProcessTransport:
    """services.city.transport.Transport over the application services in this process; ``publish`` is handed
    each appended envelope with its context (in append order) and may be a coroutine function."""

    def __init__(self, publish: Callable[[str, EventEnvelope], Any]) -> None:
        self.publish = publish
        self.stores = {name: InMemoryEventStore() for name in ("address", "person", "house", "unit")}
        self.addresses = Replica(address_replica("addresses"))
        self.persons, self.units = Replica(person_replica("persons")), Replica(unit_replica("units"))
        replica = self.addresses.collection("addresses")
        port = replica_address_port(lambda: replica)

        async def persons(person_id: str, field: str):
            return await linkable_person(self.persons.collection(PERSONS), person_id, field)

        async def units(unit_id: str, field: str) -> None:
            await linkable_unit(self.units.collection(UNITS), unit_id, field)

        self.services = {
            "address": address_application(self.stores["address"], InMemoryClaims()),
            "person": PersonService(self.stores["person"], InMemoryClaims(), PersonAddressPort(replica)),
            "house": HouseService(self.stores["house"], InMemoryClaims(), port, persons, units=units),
            "unit": UnitService(self.stores["unit"], InMemoryClaims(), port, persons),
        }
        self.contexts = {role: context_of(role) for role in ("police", "supervisor")}
        self.appended = 0
        self.lock = asyncio.Lock()  # one command at a time: the replicas see each command's events before the next

    async def send(self, service: str, path: str, body: dict, role: str) -> Answer:
        async with self.lock:
            answer = await self._call(service, path, body, role)
            await self._drain(service)
            return answer

    async def _call(self, service: str, path: str, body: dict, role: str) -> Answer:
        for name, pattern, model, method in ROUTES:
            match = pattern.match(path) if name == service else None
            if match is None:
                continue
            try:
                command = model.model_validate(body)
                if isinstance(command, RootModel):
                    command = command.root
                result = await getattr(self.services[service], method)(*match.groups(), command, self.contexts[role])
            except ValidationError as error:
                return Answer(422, {"detail": [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]}
                                               for e in error.errors()]})
            except DomainRuleViolation as error:
                return Answer(422, {"detail": [error.as_detail()]})
            except StateConflict as error:
                return Answer(409, {"detail": error.message, "type": error.rule})
            except ConcurrencyConflict as error:
                return Answer(409, {"detail": str(error), "current_version": error.current_version})
            except NotFound as error:
                return Answer(404, {"detail": str(error)})
            except Forbidden as error:
                return Answer(403, {"detail": error.message})
            except NotCaughtUp as error:
                return Answer(503, {"detail": str(error)})
            if isinstance(result, tuple):  # generate_building: (accepted, rooms)
                result = result[0]
            return Answer(201, result.model_dump(mode="json"))
        return Answer(404, {"detail": f"no route {service} {path}"})

    async def _drain(self, service: str) -> None:
        store = self.stores[service]
        log, store.log = store.log, []  # the relay's view: every event once, in append order
        for envelope in log:
            if service == "address":
                await self.addresses.apply(envelope)
            elif service == "person":
                await self.persons.apply(envelope)
            elif service == "unit":
                await self.units.apply(envelope)
            published = self.publish(service, envelope)
            if asyncio.iscoroutine(published):
                await published
        self.appended += len(log)

    async def get(self, service: str, path: str, params: dict | None = None) -> Answer:
        return Answer(404, {"detail": "no reads in process: a fresh load has nothing to look up"})

    async def close(self) -> None:
        return None


class KafkaPublisher:
    """Envelopes to the namespaced events topics as the outbox relay sends them, many in flight at once."""

    def __init__(self, producer, namespace: str, window: int = 5000) -> None:
        self.producer, self.namespace, self.window = producer, namespace, window
        self.futures: list[asyncio.Future] = []
        self.sent = 0

    async def __call__(self, context: str, envelope: EventEnvelope) -> None:
        future = await self.producer.send(events_topic(context, self.namespace), value=envelope.to_bytes(),
                                          key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
        self.futures.append(future)
        if len(self.futures) >= self.window:
            await self.flush()

    async def flush(self) -> None:
        futures, self.futures = self.futures, []
        await asyncio.gather(*futures)
        self.sent += len(futures)
