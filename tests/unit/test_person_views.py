"""Person views over in-memory read models (services.kernel.messaging.memory_reads): what a reader of a person sees —
the survivor of a merge, the address as the registry names it today, residences newest first — and the one
address port's retry rule, without a database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from contracts.envelope import Actor
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.kernel.messaging.memory_reads import InMemoryReadModels
from services.person.bootstrap import application
from services.person.commands import MoveIn, RegisterPerson
from services.person.projections import registry
from services.person.addresses import PersonAddresses, replica
from services.person.whereabouts import HOUSES_FOLDED, WHEREABOUTS
from services.person.views.persons import current_address, person_by_id, persons, residences
from services.person.views.whereabouts import with_current_names

PLATE = "532503001500000000000001"
OTHER = "532503001500000000000002"
RENAMED = "云南省红河州蒙自市文澜街道天马路18号"
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
CTX = CommandContext(actor=Actor(id="PC-1", role="police", organisation_code="532503001"), correlation_id="t")


async def seeded_with(store: InMemoryEventStore) -> InMemoryReadModels:
    """The address replica as the address registry published it (a road renamed since)."""
    reads = InMemoryReadModels(store)
    await replica(reads).insert_many([
        {"_id": PLATE, "kind": "doorplate", "status": "in_use", "full_name": RENAMED, "division_code": "532503001"},
        {"_id": OTHER, "kind": "doorplate", "status": "retired", "full_name": "…银河路2号", "division_code": "532503001"},
    ])
    return reads


async def seeded() -> InMemoryReadModels:
    reads = await seeded_with(InMemoryEventStore())
    await persons(reads).insert_many([
        {"_id": "P1", "status": "merged", "redirect_to": "P2", "division_code": "532503001"},
        {"_id": "P2", "status": "active", "division_code": "532503001", "current_address_code": PLATE,
         "residences": [
             {"address_code": OTHER, "address_name": "银河路2号", "moved_in": "2020-01-01", "moved_out": "2024-05-01"},
             {"address_code": PLATE, "address_name": "天马路18号(旧名)", "moved_in": "2024-05-01", "moved_out": None}]},
    ])
    return reads


async def test_a_merged_person_reads_as_the_survivor_and_says_which_id_was_asked():
    reads = await seeded()
    document, redirected_from = await person_by_id(reads, "P1")
    assert document["_id"] == "P2" and redirected_from == "P1"
    assert await person_by_id(reads, "P1", follow=False) == ({"_id": "P1", "status": "merged", "redirect_to": "P2",
                                                             "division_code": "532503001"}, None)
    assert await person_by_id(reads, "nobody") == (None, None)


async def test_current_address_is_named_as_the_registry_names_it_now():
    reads = await seeded()
    document, _ = await person_by_id(reads, "P2")
    assert await current_address(reads, document) == {
        "code": PLATE, "moved_in": "2024-05-01", "full_name": RENAMED, "status": "in_use"}


async def test_an_address_the_replica_lacks_shows_the_stored_name_at_once():
    reads = await seeded()
    await replica(reads).delete_one({"_id": PLATE})
    document, _ = await person_by_id(reads, "P2")
    assert await current_address(reads, document) == {
        "code": PLATE, "moved_in": "2024-05-01", "full_name": "天马路18号(旧名)", "status": "unknown"}


async def test_residences_newest_first_the_open_one_current_with_today_s_address():
    reads = await seeded()
    document, _ = await person_by_id(reads, "P2")
    shown = await residences(reads, document)
    assert [(r["address_code"], r["current"], r["address"]["status"]) for r in shown] == [
        (PLATE, True, "in_use"), (OTHER, False, "retired")]
    assert shown[0]["address"]["full_name"] == RENAMED


async def test_whereabouts_residence_carries_the_current_name_and_status():
    reads = await seeded()
    answer = await with_current_names(reads, {"residence": {"address_code": PLATE, "full_name": "旧名"}})
    assert answer["residence"]["full_name"] == RENAMED and answer["residence"]["address_status"] == "in_use"


async def test_the_address_port_waits_for_an_address_registered_a_moment_ago():
    reads = await seeded()
    addresses = PersonAddresses(reads, wait_seconds=30)

    async def arrives_later():
        await asyncio.sleep(0.3)
        await replica(reads).insert_one({"_id": "532503001500000000000003", "kind": "doorplate", "status": "in_use",
                                         "full_name": "新门牌", "division_code": "532503001"})

    arriving = asyncio.create_task(arrives_later())
    address = await addresses("532503001500000000000003")
    await arriving
    assert address.full_name == "新门牌"


async def test_the_address_port_refuses_a_retired_address_at_once_naming_the_field():
    addresses = PersonAddresses(await seeded(), wait_seconds=3600)  # a wait would outlast the test's timeout
    with pytest.raises(DomainRuleViolation) as refused:
        await addresses(OTHER)
    assert (refused.value.field, refused.value.rule) == ("address_code", "address.retired")


async def test_the_address_port_answers_unknown_once_the_wait_is_over():
    addresses = PersonAddresses(await seeded(), wait_seconds=0)
    with pytest.raises(DomainRuleViolation) as refused:
        await addresses("532503001599999999999999", field="residence.address_code")
    assert (refused.value.field, refused.value.rule) == ("residence.address_code", "address.unknown")


async def test_a_registration_and_a_move_in_read_back_through_the_registry_projection():
    """Command → events → the registry projection → the view, all in memory: the person reads back living at
    the address as the registry names it today."""
    store = InMemoryEventStore()
    reads = await seeded_with(store)
    svc = application(store, InMemoryClaims(), reads, clock=lambda: NOW)
    person = await svc.register(RegisterPerson.model_validate({
        "category": "unregistered", "reason_not_registered": "超生未落户", "document_number": "11010519491231002x",
        "name": "张丽", "sex": "female", "birth_date": "1949-12-31", "phone": "13800138000", "ethnicity": "汉族",
    }).root, CTX)
    await svc.move_in(person.person_id, MoveIn(address_code=PLATE, moved_in="2026-11-20", reason="务工"), CTX)

    await reads.apply(registry, store.log)
    document, _ = await person_by_id(reads, person.person_id)
    assert (document["name"], document["_version"]) == ("张丽", 2)
    assert await current_address(reads, document) == {
        "code": PLATE, "moved_in": "2026-11-20", "full_name": RENAMED, "status": "in_use"}
    [shown] = await residences(reads, document)
    assert shown["current"] and shown["address"]["full_name"] == RENAMED


async def test_the_address_port_refuses_a_residence_where_every_house_was_demolished():
    reads = await seeded()
    houses = reads.read_model(WHEREABOUTS, HOUSES_FOLDED)
    await houses.insert_one({"_id": "H1", "address_code": PLATE, "status": "demolished", "demolished_on": "2026-11-10"})
    with pytest.raises(DomainRuleViolation) as refused:
        await PersonAddresses(reads, wait_seconds=0)(PLATE)
    assert (refused.value.field, refused.value.rule) == ("address_code", "house.demolished")
    await houses.insert_one({"_id": "H2", "address_code": PLATE, "status": "active"})  # rebuilt at the address
    assert (await PersonAddresses(reads, wait_seconds=0)(PLATE)).code == PLATE
