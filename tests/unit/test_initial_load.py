"""历史数据导入 on the kernel's in-memory fakes: a batch is answered record by record exactly as the single
command answers (same event, same refusal), keeps no claim when the store fails, and the ingest applier's batch
path gives the answers its one-by-one path gives, at most once per record."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from pymongo.errors import DuplicateKeyError

from contracts.identity import check_character
from contracts.ingest import IngestCommand, IngestRecord, content_hash
from services.kernel.eventsourcing.claims import PENDING
from services.agency.ingest import APPLIED, RECORDS, REPLIES, IngestApplier, agency_context
from services.agency.ingest_batch import apply_many
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.person import ingest as person_ingest
from services.person.application import PersonAccepted, PersonService
from services.person.commands import RegisterPerson

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
CTX = agency_context("mz-civil-affairs", "532503", "t", "t")  #: confined to 蒙自市 like a token


def citizen(i: int) -> str:
    """The i-th distinct valid citizen ID of a man born in 蒙自市 (i < 500)."""
    first17 = f"532503{1960 + i % 40}0101{i * 2 + 1:03d}"
    return first17 + check_character(first17)


def fields(i: int, **overrides) -> dict:
    number = citizen(i)
    return {"category": "registered", "document_number": number, "name": f"李{i}", "sex": "male",
            "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}", "ethnicity": "汉族",
            "phone": "13800138000", "division_code": "532503001", "household_number": "532503001001",
            "relation_to_head": "户主", "lives_at_registered_address": True, **overrides}


def batch() -> list[dict]:
    """Valid persons, the refusals an agency's file holds, a number twice, and one already registered (i=0)."""
    rows = [fields(i) for i in range(1, 30)]
    rows[3] = fields(4, sex="female")  # contradicts the document number
    rows[5] = fields(6, name=" ")  # empty name
    rows[7] = fields(8, division_code="532501001")  # outside the caller's jurisdiction
    rows[9] = fields(10, division_code="999999")  # no such division
    rows[11] = fields(12, ethnicity="火星族")  # not a GB 3304 ethnicity
    rows[13] = fields(2)  # the number of rows[1], again
    rows.append(fields(0))  # registered before the batch
    return rows


def service() -> tuple[PersonService, InMemoryEventStore, InMemoryClaims]:
    store, claims = InMemoryEventStore(), InMemoryClaims()

    async def addresses(code: str):
        raise AssertionError("no address in these records")

    return PersonService(store, claims, addresses, clock=lambda: NOW), store, claims


def kind(outcome) -> tuple:
    """What a caller can tell of an answer: accepted, or the refusal's class, rule and field."""
    if isinstance(outcome, PersonAccepted):
        return ("accepted", outcome.version)
    return (type(outcome).__name__, getattr(outcome, "rule", None), getattr(outcome, "field", None))


async def test_a_batch_is_answered_record_by_record_as_the_single_command_answers():
    single, single_store, single_claims = service()
    many, many_store, many_claims = service()
    for svc in (single, many):
        await svc.register(RegisterPerson.model_validate(fields(0)).root, CTX)
    commands = [(RegisterPerson.model_validate(row).root, CTX) for row in batch()]
    one_by_one = []
    for command, ctx in commands:
        try:
            one_by_one.append(await single.register(command, ctx))
        except Exception as refusal:  # noqa: BLE001 - compared below
            one_by_one.append(refusal)
    together = await many.register_many(commands)

    assert [kind(outcome) for outcome in together] == [kind(outcome) for outcome in one_by_one]
    assert {kind(outcome)[:2] for outcome in together} >= {
        ("accepted", 1), ("DomainRuleViolation", "sex.contradicts_document"), ("DomainRuleViolation", "required"),
        ("Forbidden", None), ("DomainRuleViolation", "division.unknown"), ("DomainRuleViolation", "ethnicity.unknown"),
        ("StateConflict", "person.duplicate")}
    # the same events (one PersonRegistered per accepted record, same payload but the new id) and claims
    assert len(many_store.log) == len(single_store.log) == 1 + sum(isinstance(o, PersonAccepted) for o in together)
    strip = lambda e: {k: v for k, v in e.payload.items() if k != "person_id"}  # noqa: E731
    assert [strip(e) for e in many_store.log] == [strip(e) for e in single_store.log]
    assert set(many_claims.claims) == set(single_claims.claims)
    owners = {owner for owner, _ in many_claims.claims.values()}
    assert not any(owner.startswith(PENDING) for owner in owners)
    assert owners == {o.person_id for o in together if isinstance(o, PersonAccepted)} | {
        e.payload["person_id"] for e in many_store.log[:1]}


async def test_a_store_failure_fails_the_batch_and_keeps_no_claim():
    svc, store, claims = service()

    async def broken(appends):
        raise ConnectionError("the database went away")

    store.append_many = broken
    with pytest.raises(ConnectionError):
        await svc.register_many([(RegisterPerson.model_validate(fields(i)).root, CTX) for i in range(1, 5)])
    assert claims.claims == {} and store.log == []


class Collection:
    """The MongoDB calls the ingest applier makes, one by one and in bulk, on a dict."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    async def find_one(self, query: dict, sort=None):
        return self.docs.get(query["_id"])

    def find(self, query: dict, projection=None):
        wanted = query["_id"]["$in"]

        async def found():
            for key in wanted:
                if key in self.docs:
                    yield self.docs[key]
        return found()

    async def insert_one(self, doc: dict) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate")
        self.docs[doc["_id"]] = doc

    async def insert_many(self, docs: list[dict], ordered: bool = True) -> None:
        for doc in docs:
            self.docs.setdefault(doc["_id"], doc)

    async def update_one(self, query: dict, update: dict, upsert: bool = False) -> None:
        if query["_id"] not in self.docs:
            self.docs[query["_id"]] = {"_id": query["_id"], **update.get("$setOnInsert", {})}

    async def bulk_write(self, operations: list, ordered: bool = True) -> None:
        for operation in operations:
            await self.update_one(operation._filter, operation._doc, upsert=True)


def applier() -> tuple[IngestApplier, InMemoryEventStore, InMemoryClaims, dict]:
    svc, store, claims = service()
    db = {REPLIES: Collection(), RECORDS: Collection()}
    return IngestApplier("person", db, claims, {"person": person_ingest.HANDLERS[0]}, svc), store, claims, db


def command(row: dict, record_id: str, operation: str = "create") -> IngestCommand:
    record = IngestRecord(record_id=record_id, entity_type="person", operation=operation, fields=row)
    return IngestCommand(agency="mz-civil-affairs", jurisdiction="532503", record=record,
                         content_hash=content_hash(record), batch_id="B1", row=0)


def answer(reply) -> tuple:
    return (reply.record_id, reply.status, [(reason.field, reason.rule) for reason in reply.reasons])


async def test_the_ingest_batch_path_answers_as_the_one_by_one_path_at_most_once():
    rows = batch()[:-1]
    rows.append({**fields(40), "category": "nonsense"})  # the command's own validation refuses it
    commands = [command(row, f"R{i}") for i, row in enumerate(rows)]
    single, _, _, _ = applier()
    expected = [answer(await single.apply(c)) for c in commands]
    bulk, store, claims, db = applier()

    answers = await apply_many(bulk, commands)

    assert sorted(answers) == list(range(len(commands)))  # every create settled in bulk
    assert [answer(answers[i]) for i in range(len(commands))] == expected
    accepted = [answers[i] for i in range(len(commands)) if answers[i].status == "accepted"]
    assert len(store.log) == len(accepted) and len({reply.entity_id for reply in accepted}) == len(accepted)
    ingest_claims = {key: owner for key, (owner, _) in claims.claims.items() if key.startswith("ingest:")}
    assert set(ingest_claims) == {reply_key for reply_key in db[REPLIES].docs} and set(ingest_claims.values()) == {APPLIED}
    assert all(f"mz-civil-affairs:{reply.record_id}" in db[RECORDS].docs for reply in accepted)

    again = await apply_many(bulk, commands)  # a redelivery: the stored answers, nothing applied twice
    assert [answer(again[i]) for i in sorted(again) if again[i].status == "accepted"] == [answer(r) for r in accepted]
    assert len(store.log) == len(accepted)


async def test_what_the_batch_path_cannot_settle_is_left_to_the_one_by_one_path():
    bulk, store, claims, db = applier()
    created = command(fields(1), "R1")
    await bulk.apply(created)
    resent = command(fields(1, name="李一"), "R1")  # an update of a record created before
    held = command(fields(2), "R2")
    await claims.take(held.claim_key, f"{PENDING}another-attempt")  # a running or crashed attempt holds it
    twice = [command(fields(3), "R3"), command(fields(3), "R3")]  # one record delivered twice in one poll
    cancel = command({"reason": "death", "cancelled_on": "2026-11-01"}, "R1", operation="cancel")

    answers = await apply_many(bulk, [resent, held, *twice, cancel])

    assert answers == {}
    assert len(store.log) == 1 and claims.claims[held.claim_key][0] == f"{PENDING}another-attempt"


async def test_a_refusal_of_the_whole_store_keeps_the_ingest_claims_for_recovery():
    bulk, store, claims, db = applier()

    async def broken(appends):
        raise ConnectionError("the database went away")

    store.append_many = broken
    commands = [command(fields(i), f"R{i}") for i in range(1, 4)]
    with pytest.raises(ConnectionError):
        await apply_many(bulk, commands)
    assert {key for key in claims.claims if key.startswith("ingest:")} == {c.claim_key for c in commands}
    assert not any(key.startswith("person-document:") for key in claims.claims)
