"""Links across contexts (跨业务关联): a command naming another context's person checks it through the replica.

A tenant (承租人), an employee (从业人员), an owner, a lessor, a security person or a legal representative named by
``person_id`` must be a person the person registry has published and not cancelled (注销): otherwise 422 naming the
field (``person.unknown`` / ``person.cancelled``). A merged duplicate links its survivor.

Events arrive in any order across topics: a person registered a moment ago may not be in this service's replica
yet. A miss therefore waits (at most ``YBSS_READ_WAIT_TIMEOUT_SECONDS``) for the replica to apply the person's
first event before answering ``person.unknown``; a cancellation still travelling is not seen (the link is then
accepted, as it would have been a moment earlier).

A person outside the caller's jurisdiction may be linked (a 蒙自 hotel hires a person registered in 开远; a tenant
comes from elsewhere): the answer says nothing of them beyond "linkable" (no name, no division, no survivor id),
and the views show them masked (docs/SECURITY.md "Links across jurisdictions").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable

from contracts.parties import PartyRef
from services.kernel.base.errors import DomainRuleViolation, NotCaughtUp
from services.kernel.messaging.read_models import ReadModel, ReadModels
from services.kernel.web.deps import wait_for_version
from services.replicas.person import PERSONS
from services.replicas.unit import UNITS

MAX_REDIRECTS = 8


@dataclass(frozen=True)
class LinkedPerson:
    """The person a link resolves to (``person_id`` is the survivor's when the id asked for was merged)."""

    person_id: str
    division_code: str | None


#: what an application service is handed: (person_id, field) → the linkable person or a 422 naming ``field``
PersonPort = Callable[[str, str], Awaitable[LinkedPerson]]
#: (unit_id, field) → None when the unit may be named as a party, else a 422 naming ``field``
UnitPort = Callable[[str, str], Awaitable[None]]
#: waits until the replica has applied a record's first event (raises NotCaughtUp when the wait runs out)
Arrival = Callable[[str], Awaitable[object]]


def unknown(field: str, person_id: str) -> DomainRuleViolation:
    return DomainRuleViolation(field, "person.unknown", f"no registered person {person_id!r}",
                               f"实有人口 {person_id} 不存在")


async def linkable_person(collection: ReadModel, person_id: str, field: str,
                          arrival: Arrival | None = None) -> LinkedPerson:
    """The active person ``person_id`` (merges followed) as the replica knows it, or a 422 naming ``field``."""
    person_id = (person_id or "").strip()
    document = await collection.find_one({"_id": person_id}, {"status": 1, "redirect_to": 1, "division_code": 1})
    if (document is None or "status" not in document) and arrival is not None:
        try:
            await arrival(person_id)
        except NotCaughtUp:
            raise unknown(field, person_id) from None
        document = await collection.find_one({"_id": person_id}, {"status": 1, "redirect_to": 1, "division_code": 1})
    seen: set[str] = set()
    while document is not None and document.get("status") == "merged" and document.get("redirect_to") \
            and len(seen) < MAX_REDIRECTS:
        seen.add(document["_id"])
        document = await collection.find_one({"_id": document["redirect_to"]},
                                             {"status": 1, "redirect_to": 1, "division_code": 1})
    if document is None or "status" not in document:  # a stub a key-person event made is not a person
        raise unknown(field, person_id)
    if document["status"] != "active":
        raise DomainRuleViolation(field, "person.cancelled", f"person {person_id} is cancelled (注销) and cannot "
                                  "be linked", f"实有人口 {person_id} 已注销，不能关联")
    return LinkedPerson(person_id=document["_id"], division_code=document.get("division_code"))


async def linkable_unit(collection: ReadModel, unit_id: str, field: str, arrival: Arrival | None = None) -> None:
    """Nothing when the unit ``unit_id`` is registered and not closed (a suspended unit still owns and lets), else
    a 422 naming ``field`` (``unit.unknown`` / ``unit.closed``)."""
    unit_id = (unit_id or "").strip()
    document = await collection.find_one({"_id": unit_id}, {"status": 1})
    if (document is None or "status" not in document) and arrival is not None:
        try:
            await arrival(unit_id)
        except NotCaughtUp:
            document = None
        else:
            document = await collection.find_one({"_id": unit_id}, {"status": 1})
    if document is None or "status" not in document:
        raise DomainRuleViolation(field, "unit.unknown", f"no registered unit {unit_id!r}", f"实有单位 {unit_id} 不存在")
    if document["status"] == "closed":
        raise DomainRuleViolation(field, "unit.closed", f"unit {unit_id} is closed (注销) and cannot be named",
                                  f"实有单位 {unit_id} 已注销，不能关联")


async def check_parties(persons: PersonPort, parties: Iterable[tuple[str, PartyRef | None]],
                        units: UnitPort | None = None) -> dict[str, PartyRef]:
    """Each ``(field, party)`` naming a person checked (422 naming ``<field>.person_id``), and with ``units`` each
    naming a unit (422 naming ``<field>.unit_id``); the parties with a merged person's survivor put in, by field.
    Parties naming someone unregistered (a name and a document) pass as they are."""
    parties = [(field, party) for field, party in parties if party is not None]
    named = [(field, party) for field, party in parties if party.person_id]
    # together: a command naming two persons not (yet) in the replica waits once, not once per person
    linked, _ = await asyncio.gather(
        asyncio.gather(*(persons(party.person_id, f"{field}.person_id") for field, party in named)),
        asyncio.gather(*(units(party.unit_id, f"{field}.unit_id") for field, party in parties
                         if units is not None and party.unit_id)))
    return {field: party.model_copy(update={"person_id": person.person_id})
            for (field, party), person in zip(named, linked) if person.person_id != party.person_id}


def first_event_arrival(reads: ReadModels, projection: str, kind: str) -> Arrival:
    """Waits until the replica ``projection`` has applied the first event of stream ``<kind>-<id>`` (the owning
    registry's stream of that record), as long as a read-your-writes read would."""

    async def arrival(record_id: str) -> None:
        stream_id = f"{kind}-{record_id}"
        await wait_for_version(stream_id, 1, lambda: reads.applied_version(projection, stream_id),
                               reads.read_wait_seconds)

    return arrival


def replica_persons(reads: ReadModels, projection: str) -> PersonPort:
    """The person port over a service's read side: its person replica ``projection`` (services.replicas.person)."""
    arrival = first_event_arrival(reads, projection, "person")

    async def persons(person_id: str, field: str) -> LinkedPerson:
        return await linkable_person(reads.read_model(projection, PERSONS), person_id, field, arrival)

    return persons


def replica_units(reads: ReadModels, projection: str) -> UnitPort:
    """The unit port over a service's read side: its unit replica ``projection`` (services.replicas.unit)."""
    arrival = first_event_arrival(reads, projection, "unit")

    async def units(unit_id: str, field: str) -> None:
        await linkable_unit(reads.read_model(projection, UNITS), unit_id, field, arrival)

    return units
