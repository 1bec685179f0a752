"""居住登记 as an agency record (``residence``) on the kernel's in-memory fakes: the person registry's own 入住
command (the same model, the same decision as POST /v1/persons/{id}/residence), answered once per record however
often it is sent, refused naming the field and rule, and the batch path of an initial load answering each record
as the one-by-one path does (a person named twice in one batch moves in twice, in order)."""

from __future__ import annotations

from contracts.ingest import IngestCommand, IngestRecord, content_hash
from contracts.person import ResidenceRegistered
from services.agency.ingest import IngestApplier, RECORDS, REPLIES, agency_context
from services.agency.ingest_batch import apply_many
from services.ingest.config import agencies
from services.ingest.gate import check
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.person import ingest as person_ingest
from services.person.application import PersonService
from services.person.commands import RegisterPerson
from services.replicas.address import ReplicaAddress
from tests.unit.test_initial_load import NOW, Collection, answer, fields

PLATE = "532503001500000000000001"
ROOM = "532503001500000000000001" + "0101"
AGENCY = "city-load"
CTX = agency_context(AGENCY, "532503", "t", "t")


async def addresses(code: str) -> ReplicaAddress:
    if code in (PLATE, ROOM):
        return ReplicaAddress(code=code, kind="doorplate" if code == PLATE else "room", status="in_use",
                              full_name=f"天马路18号 {code[-4:]}", division_code="532503001")
    raise DomainRuleViolation("address_code", "address.unknown", f"{code} is not a standard address", "标准地址不存在")


async def world(persons: int = 3) -> tuple[IngestApplier, InMemoryEventStore, list[str]]:
    store, claims = InMemoryEventStore(), InMemoryClaims()
    svc = PersonService(store, claims, addresses, clock=lambda: NOW)
    ids = [(await svc.register(RegisterPerson.model_validate(fields(i)).root, CTX)).person_id
           for i in range(1, persons + 1)]
    handlers = {handler.entity_type: handler for handler in person_ingest.HANDLERS}
    return IngestApplier("person", {REPLIES: Collection(), RECORDS: Collection()}, claims, handlers, svc), store, ids


def residence(record_id: str, **values) -> IngestCommand:
    """A residence record; a value given as None is left out of the record."""
    given = {"address_code": PLATE, "moved_in": "2026-11-20", "reason": "务工", "residence_type": "rental", **values}
    record = IngestRecord(record_id=record_id, entity_type="residence",
                          fields={name: value for name, value in given.items() if value is not None})
    return IngestCommand(agency=AGENCY, jurisdiction="532503", record=record, content_hash=content_hash(record),
                         batch_id="B1", row=0)


def residences(store: InMemoryEventStore) -> list:
    return [event for event in store.log if event.event_type == ResidenceRegistered.__name__]


async def test_a_residence_record_moves_the_person_in_once_however_often_it_is_sent():
    applier, store, (person, *_) = await world()
    first = await applier.apply(residence("S-1", person_id=person))
    again = await applier.apply(residence("S-1", person_id=person))

    assert (first.status, first.entity_type, first.entity_id, first.version) == ("accepted", "residence", person, 2)
    assert again.reply_id == first.reply_id and len(residences(store)) == 1
    event = residences(store)[0]
    assert event.stream_id == f"person-{person}" and event.actor.id == AGENCY and event.actor.role == "agency"
    assert {name: event.payload[name] for name in ("address_code", "moved_in", "reason", "residence_type")} == {
        "address_code": PLATE, "moved_in": "2026-11-20", "reason": "务工", "residence_type": "rental"}


async def test_a_bad_residence_record_is_refused_naming_the_field_and_rule():
    applier, store, (person, *_) = await world()
    bad = {
        "no-person": {"person_id": None},
        "unknown-person": {"person_id": "P-nobody"},
        "no-date": {"person_id": person, "moved_in": None},
        "future": {"person_id": person, "moved_in": "2027-01-01"},
        "castle": {"person_id": person, "residence_type": "castle"},
        "nowhere": {"person_id": person, "address_code": "532503001599999999999999"},
    }
    answers = {}
    for record_id, values in bad.items():
        reply = await applier.apply(residence(record_id, **values))
        answers[record_id] = [(reason.field, reason.rule) for reason in reply.reasons]
        assert reply.status == "rejected" and all(reason.msg_zh for reason in reply.reasons)
    assert answers == {
        "no-person": [("person_id", "missing")], "unknown-person": [("person_id", "person.not_found")],
        "no-date": [("moved_in", "missing")], "future": [("moved_in", "date.future")],
        "castle": [("residence_type", "literal_error")], "nowhere": [("address_code", "address.unknown")]}
    assert residences(store) == []
    moved = await applier.apply(residence("S-2", person_id=person))
    same = await applier.apply(residence("S-3", person_id=person))  # another record of the same move
    assert moved.status == "accepted" and [(r.field, r.rule) for r in same.reasons] == [
        ("address_code", "residence.unchanged")]


async def test_the_batch_path_answers_each_residence_as_the_one_by_one_path():
    def batch(ids: list[str]) -> list[IngestCommand]:
        first, second, third = ids
        return [residence("S-1", person_id=first), residence("S-2", person_id=second, address_code=ROOM),
                residence("S-3", person_id=first, address_code=ROOM, moved_in="2026-11-25"),  # moves on, in order
                residence("S-4", person_id=third, moved_in="2027-01-01"), residence("S-5", person_id="P-nobody"),
                residence("S-6", person_id=third, reason=None)]

    single, single_store, single_ids = await world()
    expected = [answer(await single.apply(command)) for command in batch(single_ids)]
    assert [(status, reasons) for _, status, reasons in expected] == [
        ("accepted", []), ("accepted", []), ("accepted", []), ("rejected", [("moved_in", "date.future")]),
        ("rejected", [("person_id", "person.not_found")]), ("rejected", [("reason", "missing")])]
    bulk, store, ids = await world()
    commands = batch(ids)

    answers = await apply_many(bulk, commands)

    assert sorted(answers) == list(range(len(commands)))  # every create settled in bulk
    assert [answer(answers[index]) for index in range(len(commands))] == expected
    assert [answers[index].version for index in range(3)] == [2, 2, 3]
    said = lambda log: sorted(str({k: v for k, v in e.payload.items() if k != "person_id"}) for e in log)  # noqa: E731
    assert said(residences(store)) == said(residences(single_store))  # the same events (in another order)
    assert len(residences(store)) == 3
    again = await apply_many(bulk, commands)  # sent again: the stored answers, nothing applied twice
    assert [answer(again[index]) for index in range(3)] == expected[:3] and len(residences(store)) == 3


def test_the_city_load_agency_may_send_residences_and_no_other_field():
    city = agencies()[AGENCY]
    record = residence("S-1", person_id="P-1").record
    assert check(city, record) == []
    extra = record.model_copy(update={"fields": {**record.fields, "host_person_id": "P-2"}})
    assert [(reason.field, reason.rule) for reason in check(city, extra)] == [("host_person_id", "field.not_permitted")]
