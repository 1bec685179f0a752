"""The read side shared by registries at addresses, and the one read of one record, over in-memory read models:
what a reader of a house or unit sees of its address now (renamed, retired, merged), which record a merged
address finds, and what a single-record read answers (404, 403, the read logged); the person link port over the
read-model port alone."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from contracts.envelope import Actor
from services.kernel.base.errors import DomainRuleViolation, Forbidden, NotFound
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.messaging.memory_reads import InMemoryReadModels
from services.kernel.web.authz import Caller, Scope
from services.kernel.web.reads import shown_one
from services.replicas.addressed import AddressedRegistry, show_address_now
from services.replicas.links import replica_persons
from services.replicas.person import PERSONS

PLATE, MERGED, RETIRED = "532503001500000000000001", "532503001500000000000002", "532503001500000000000003"
HOUSES = AddressedRegistry("house", "house-registry", "houses", "house-addresses")


@dataclass
class LoggingCaller(Caller):
    """A caller of 文澜 whose reads (查询留痕) are kept in ``logged``."""

    logged: list[tuple] = field(default_factory=list)

    async def accessed(self, record_type, record_id, division_code=None, **_) -> None:
        self.logged.append((record_type, record_id, division_code))


def caller() -> LoggingCaller:
    actor = Actor(id="PC-1", role="police", organisation_code="532503001")
    return LoggingCaller(actor=actor, context=CommandContext(actor=actor, correlation_id="t"),
                         scope=Scope("532503001"), action="house.read", route="/v1/houses/{house_id}")


async def seeded() -> InMemoryReadModels:
    reads = InMemoryReadModels()
    await HOUSES.address_replica(reads).insert_many([
        {"_id": PLATE, "kind": "doorplate", "status": "in_use", "full_name": "天马路18号",
         "division_code": "532503001"},
        {"_id": MERGED, "kind": "doorplate", "status": "merged", "redirect_to": PLATE, "full_name": "天马路18号之1",
         "division_code": "532503001"},
        {"_id": RETIRED, "kind": "doorplate", "status": "retired", "full_name": "银河路2号",
         "division_code": "532503001"},
    ])
    await HOUSES.records(reads).insert_many([
        {"_id": "H-1", "address_code": PLATE, "address_name": "天马路旧18号", "division_code": "532503001"},
        {"_id": "H-2", "address_code": MERGED, "address_name": "天马路18号之1", "division_code": "532503001"},
        {"_id": "H-3", "address_code": RETIRED, "address_name": "银河路2号", "division_code": "532503001"},
        {"_id": "H-4", "address_code": PLATE, "division_code": "532502001"},
    ])
    return reads


async def test_a_record_shows_its_address_as_the_replica_names_it_now():
    reads = await seeded()
    documents = [await HOUSES.document(reads, house_id) for house_id in ("H-1", "H-2", "H-3")]
    states = await HOUSES.address_states(reads, documents)
    shown = [{"address_code": d["address_code"], "address_name": d["address_name"]} for d in documents]
    addresses = [show_address_now(record, states) for record in shown]
    assert shown[0] == {"address_code": PLATE, "address_name": "天马路18号", "address_status": "in_use"}
    assert shown[1]["address_redirected_to"] == PLATE and shown[1]["address_status"] == "merged"
    assert shown[2]["address_status"] == "retired" and addresses[2]["status"] == "retired"
    unknown = {"address_code": "532503001500000000000009", "address_name": "as registered"}
    assert show_address_now(unknown, states) is None and unknown["address_name"] == "as registered"


async def test_a_merged_address_finds_the_records_of_its_survivor_and_a_missing_record_is_404():
    reads = await seeded()
    query = {"address_code": await HOUSES.at_address(reads, MERGED)}
    assert sorted([d["_id"] async for d in HOUSES.records(reads).find(query)]) == ["H-1", "H-2", "H-4"]
    with pytest.raises(NotFound) as missing:
        await HOUSES.document(reads, "H-9")
    assert (missing.value.kind, missing.value.identifier) == ("house", "H-9")


async def test_one_record_is_404_when_missing_403_outside_the_jurisdiction_else_shown_and_logged():
    reads, reader = await seeded(), caller()
    with pytest.raises(NotFound) as missing:
        await shown_one(reader, None, "doorplate", PLATE, what="door plate")
    assert missing.value.kind == "doorplate"
    with pytest.raises(Forbidden, match="^key person belongs to division"):
        await shown_one(reader, await HOUSES.records(reads).find_one({"_id": "H-4"}), "key person", "H-4")
    document = await HOUSES.document(reads, "H-1")
    assert await shown_one(reader, document, "key person", "H-1", logged_as="key_person") is document
    assert reader.logged == [("key_person", "H-1", "532503001")]


async def test_the_person_link_port_needs_only_the_read_models():
    reads = InMemoryReadModels()
    reads.read_wait_seconds = 0.05
    await reads.read_model("house-occupants", PERSONS).insert_many([
        {"_id": "P-1", "status": "merged", "redirect_to": "P-2", "division_code": "532503001"},
        {"_id": "P-2", "status": "active", "division_code": "532503001"},
    ])
    persons = replica_persons(reads, "house-occupants")
    assert (await persons("P-1", "tenant.person_id")).person_id == "P-2"
    with pytest.raises(DomainRuleViolation) as unknown:  # never registered: the wait runs out, then 422
        await persons("P-9", "tenant.person_id")
    assert (unknown.value.field, unknown.value.rule) == ("tenant.person_id", "person.unknown")
