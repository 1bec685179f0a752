"""At most once per (agency, record id, content): the kernel's ingest applier on the in-memory ports, with the
house registry's own handlers (a crash between the append and the stored answer, a running attempt, a resend)."""

from __future__ import annotations

from datetime import date

import pytest
from pymongo.errors import DuplicateKeyError

from contracts.ingest import IngestCommand, IngestRecord, content_hash
from services.house import ingest as house_ingest
from services.house.application import HouseService
from services.kernel.eventsourcing.eventstore import EVENTS
from services.agency.ingest import RECORDS, REPLIES, IngestApplier
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.replicas.address import ReplicaAddress
from tests.unit.test_house_application import ADDRESSES, ROOM, addresses, persons


class Collection:
    """The few MongoDB collection calls the applier makes, on a dict."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.fail_inserts = False

    async def find_one(self, query: dict, sort=None):
        return self.docs.get(query["_id"])

    async def insert_one(self, doc: dict) -> None:
        if self.fail_inserts:
            raise ConnectionError("the process died here")
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate")
        self.docs[doc["_id"]] = doc

    async def update_one(self, query: dict, update: dict, upsert: bool = False) -> None:
        if query["_id"] not in self.docs:
            self.docs[query["_id"]] = {"_id": query["_id"], **update.get("$setOnInsert", {})}
        for path, value in update.get("$set", {}).items():  # "fields.area": one level of dotted path
            head, _, name = path.partition(".")
            self.docs[query["_id"]].setdefault(head, {})[name] = value


class Events:
    """The event store's collection as the recovery reads it: the last event caused by a claim key."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store

    async def find_one(self, query: dict, sort=None):
        caused = [e for e in self.store.log if e.causation_id == query["causation_id"]]
        return {"stream_id": caused[-1].stream_id, "version": caused[-1].version} if caused else None


@pytest.fixture
def world():
    store, claims = InMemoryEventStore(), InMemoryClaims()
    db = {REPLIES: Collection(), RECORDS: Collection(), EVENTS: Events(store)}
    service = HouseService(store, claims, addresses, persons, today=lambda: date(2026, 11, 20))
    applier = IngestApplier("house", db, claims, {"house": house_ingest.HANDLERS[0]}, service)
    return applier, store, claims, db


def command(record_id: str = "ZJ-1", operation: str = "create", **fields) -> IngestCommand:
    record = IngestRecord(record_id=record_id, entity_type="house", operation=operation,
                          fields={"address_code": ROOM, "property_nature": "private", "use": "rented", **fields})
    return IngestCommand(agency="mz-housing", jurisdiction="532503", record=record, content_hash=content_hash(record))


async def test_applied_once_however_often_delivered_and_updated_by_the_same_record_id(world):
    applier, store, claims, _ = world
    first = await applier.apply(command())
    again = await applier.apply(command())
    assert first.status == again.status == "accepted"
    assert (again.entity_id, again.version) == (first.entity_id, 1) and len(store.log) == 1
    assert store.log[0].actor.role == "agency" and store.log[0].actor.id == "mz-housing"
    assert store.log[0].causation_id == command().claim_key

    changed = await applier.apply(command(area=88.0))  # a create resent with new content: an update
    assert (changed.status, changed.entity_id, changed.version) == ("accepted", first.entity_id, 2), changed.reasons


async def test_a_rejection_is_not_stored_and_a_resend_is_judged_again(world):
    applier, store, claims, _ = world
    elsewhere = command("ZJ-2", address_code="532503001500000000000777")
    refused = await applier.apply(elsewhere)
    assert refused.status == "rejected" and refused.reasons[0].rule == "address.unknown"
    assert await claims.owner_of(elsewhere.claim_key) is None
    ADDRESSES["532503001500000000000777"] = ReplicaAddress(
        code="532503001500000000000777", kind="doorplate", status="in_use", full_name="新建路1号",
        division_code="532503001")
    try:
        assert (await applier.apply(elsewhere)).status == "accepted"
    finally:
        del ADDRESSES["532503001500000000000777"]


async def test_a_crash_after_the_append_answers_from_the_event_on_redelivery(world):
    applier, store, claims, db = world
    db[REPLIES].fail_inserts = True
    with pytest.raises(ConnectionError):
        await applier.apply(command("ZJ-3"))
    db[REPLIES].fail_inserts = False
    assert len(store.log) == 1  # applied, not answered
    reply = await applier.apply(command("ZJ-3"))
    assert reply.status == "accepted" and reply.stream_id == store.log[0].stream_id and len(store.log) == 1


async def test_a_running_attempt_is_waited_for_and_an_abandoned_one_taken_over(world):
    applier, store, claims, _ = world
    pending = command("ZJ-4")
    await claims.take(pending.claim_key, "pending:someone-else")
    with pytest.raises(RuntimeError):
        await applier.apply(pending)
    assert store.log == []
    claims.age(pending.claim_key, 60)
    assert (await applier.apply(pending)).status == "accepted" and len(store.log) == 1


async def test_an_update_or_cancel_of_a_record_never_sent_is_refused(world):
    applier, _, _, _ = world
    assert (await applier.apply(command("ZJ-5", "update"))).reasons[0].rule == "record.unknown"
    first = await applier.apply(command("ZJ-6"))
    refused = await applier.apply(command("ZJ-6", "cancel"))
    assert first.status == "accepted" and refused.reasons[0].rule == "operation.unsupported"


async def test_a_record_whose_handler_keeps_crashing_is_answered_not_retried_forever(world):
    """A defect in a registry must not stall every record behind it: after a few crashes the agency is told."""
    import asyncio
    from types import SimpleNamespace

    from services.agency import consumer

    applier, store, claims, _ = world

    async def crash(*_):
        raise ZeroDivisionError("a defect")

    applier._run = crash
    answers = []

    class Publisher:
        async def publish(self, reply):
            answers.append(reply)
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done

    message = SimpleNamespace(value=command(record_id="ZJ-defect").model_dump_json().encode(), topic="t", partition=0,
                              offset=41)
    key = command(record_id="ZJ-defect").claim_key
    outcomes = []
    for _ in range(consumer.MAX_CRASHES):
        outcomes.append(await consumer._settle_one(message, applier, Publisher(), "house", []))
        if await claims.owner_of(key):
            claims.age(key, 600)  # the crashed attempt's claim, long abandoned: the next delivery may take it over
    assert outcomes == [False] * (consumer.MAX_CRASHES - 1) + [True], "retried, then answered"
    [reply] = answers
    assert reply.status == "rejected" and reply.record_id == "ZJ-defect"
    assert [(reason.rule, bool(reason.msg_zh)) for reason in reply.reasons] == [("registry.defect", True)]
    assert not store.log, "nothing was applied"


async def test_an_update_applies_every_field_it_carries_or_refuses_it_by_name(world):
    """A create's field an update does not apply may be restated unchanged; changed, it is refused by name
    (never dropped), and nothing is applied."""
    applier, store, _, _ = world
    first = await applier.apply(command("ZJ-9", management_level="normal"))
    restated = await applier.apply(command("ZJ-9", "update", management_level="normal", area=70.0))
    assert (restated.status, restated.version) == ("accepted", 2), restated.reasons
    changed = await applier.apply(command("ZJ-9", "update", management_level="attention", area=71.0))
    assert changed.status == "rejected", changed
    assert [(r.field, r.rule) for r in changed.reasons] == [("management_level", "field.not_permitted")]
    assert changed.reasons[0].msg_zh and await store.current_version(first.stream_id) == 2
    owner = await applier.apply(command("ZJ-9", "update", owner={"name": "李四"}))  # dropped before: applied now
    assert owner.status == "accepted", owner.reasons
    [owned] = [event for event in store.log if event.event_type == "HouseOwnerChanged"]
    assert owned.payload["owner"]["name"] == "李四"
