"""The person application service on the kernel's in-memory fakes: uniqueness, legacy duplicates and merges,
residence through the address port, key-person jurisdiction. No stack."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from contracts.envelope import Actor
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.replicas.address import ReplicaAddress
from services.person.application import PersonService
from services.person.commands import (
    ApplyKeyPersonListing, CorrectPerson, Decide, MergePerson, MoveIn, RegisterPerson,
)

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
CTX = CommandContext(actor=Actor(id="PC-1", role="police", organisation_code="532503001"), correlation_id="t")
PLATE = "532503001500000000000001"
MERGED = "532503001500000000000002"


async def addresses(code: str) -> ReplicaAddress:
    if code == PLATE:
        return ReplicaAddress(code=PLATE, kind="doorplate", status="in_use", full_name="云南省红河州蒙自市文澜街道天马路18号",
                              division_code="532503001")
    if code == MERGED:
        return ReplicaAddress(code=PLATE, kind="doorplate", status="in_use", full_name="…天马路18号",
                              division_code="532503001", redirected_from=MERGED)
    raise DomainRuleViolation("address_code", "address.unknown", "unknown", "不存在")


def service() -> tuple[PersonService, InMemoryEventStore]:
    store = InMemoryEventStore()
    return PersonService(store, InMemoryClaims(), addresses, clock=lambda: NOW), store


def body(**overrides):
    return RegisterPerson.model_validate({
        "category": "unregistered", "reason_not_registered": "超生未落户", "document_number": "11010519491231002x",
        "name": "张丽", "sex": "female", "birth_date": "1949-12-31", "phone": "13800138000", "ethnicity": "汉族",
        **overrides}).root


async def test_registration_normalises_and_claims_the_document():
    svc, store = service()
    accepted = await svc.register(body(), CTX)
    event = store.streams[accepted.stream_id][0]
    assert event.payload["document_number"] == "11010519491231002X" and event.payload["phone"] == "+8613800138000"
    assert event.payload["ethnicity"] == "01" and event.division_code == "532503001"
    with pytest.raises(StateConflict) as error:
        await svc.register(body(document_number="110105491231002"), CTX)  # the legacy form of the same number
    assert error.value.rule == "person.duplicate" and accepted.person_id in error.value.message


async def test_legacy_import_keeps_contradictions_and_duplicates_then_merges():
    svc, store = service()
    first = await svc.register(body(), CTX)
    second = await svc.register(body(sex="male", legacy_import=True), CTX)
    errors = store.streams[second.stream_id][0].payload["logic_errors"]
    assert {e["rule"] for e in errors} == {"sex.contradicts_document", "person.duplicate"}
    await svc.merge(second.person_id, MergePerson(survivor_id=first.person_id), CTX)
    assert store.event_types(second.stream_id)[-1] == "PersonMergedInto"
    assert store.event_types(first.stream_id)[-1] == "DuplicatePersonAbsorbed"
    await svc.merge(second.person_id, MergePerson(survivor_id=first.person_id), CTX)  # a retry completes, no new events
    assert len(store.streams[second.stream_id]) == 2


async def test_registration_outside_the_callers_jurisdiction_is_refused():
    svc, _ = service()

    def only_532503001(code):
        if not (code or "").startswith("532503001"):
            raise Forbidden("outside", "不在辖区")

    ctx = CommandContext(actor=CTX.actor, correlation_id="t", jurisdiction=only_532503001)
    with pytest.raises(Forbidden):
        await svc.register(body(division_code="532503002"), ctx)


async def test_residence_follows_a_merged_address_and_refuses_an_unknown_one():
    svc, store = service()
    person = await svc.register(body(), CTX)
    await svc.move_in(person.person_id, MoveIn(address_code=MERGED, moved_in="2026-11-20", reason="务工"), CTX)
    payload = store.streams[person.stream_id][-1].payload
    assert payload["address_code"] == PLATE and payload["requested_code"] == MERGED
    with pytest.raises(DomainRuleViolation) as error:
        await svc.move_in(person.person_id, MoveIn(address_code="1" * 24, moved_in="2026-11-21", reason="x"), CTX)
    assert error.value.field == "address_code"


async def test_key_person_decisions_are_refused_outside_the_jurisdiction():
    svc, _ = service()
    person = await svc.register(body(), CTX)
    listing = await svc.apply_key_person_listing(ApplyKeyPersonListing(
        person_id=person.person_id, category_code="04", problem="吸毒史", responsible_unit="文澜派出所",
        responsible_officer="PC-1", control_level="2"), CTX)

    def elsewhere(code):
        raise Forbidden(f"{code} outside 532503002", "不在辖区")

    with pytest.raises(Forbidden):
        await svc.approve_key_person(listing.key_person_id, Decide(), CommandContext(
            actor=Actor(id="S-2", role="supervisor", organisation_code="532503002"), correlation_id="t",
            jurisdiction=elsewhere))
    approved = await svc.approve_key_person(listing.key_person_id, Decide(remark="同意"), CTX)
    assert approved.state == "listed"
    with pytest.raises(StateConflict) as error:
        await svc.approve_key_person(listing.key_person_id, Decide(), CTX)
    assert "listed" in error.value.message


async def test_every_openapi_example_is_a_valid_registration():
    from services.person.api.examples import REGISTRATIONS

    for category, example in REGISTRATIONS.items():
        svc, store = service()
        accepted = await svc.register(RegisterPerson.model_validate(example["value"]).root, CTX)
        assert store.streams[accepted.stream_id][0].payload["category"] == category


async def test_a_document_number_correction_is_validated_and_moves_the_claim():
    svc, store = service()
    wrong = await svc.register(body(document_number="110105194912310011", sex="male", birth_date="1949-12-31"), CTX)
    with pytest.raises(DomainRuleViolation) as error:  # the right number says female: the record says male
        await svc.correct(wrong.person_id, CorrectPerson(changes={"document_number": "11010519491231002X"},
                                                         reason_code="01"), CTX)
    assert error.value.field == "sex"
    fixed = await svc.correct(wrong.person_id, CorrectPerson(changes={"document_number": "110105194912310038"},
                                                             reason_code="01", remark="录入错误"), CTX)
    event = store.streams[fixed.stream_id][-1].payload
    assert event["changes"]["document_number"] == "110105194912310038"
    assert event["old_values"]["document_number"] == "110105194912310011"
    again = await svc.register(body(document_number="110105194912310011", sex="male"), CTX)  # the old number is free
    assert again.person_id != wrong.person_id
    with pytest.raises(StateConflict):
        await svc.register(body(document_number="110105194912310038", sex="male"), CTX)


async def test_a_foreigners_passport_takes_the_nationality_of_the_category_fields():
    from services.person.api.examples import REGISTRATIONS

    svc, store = service()
    example = {**REGISTRATIONS["foreigner"]["value"], "document_type": "passport", "document_number": "p1234567"}
    accepted = await svc.register(RegisterPerson.model_validate(example).root, CTX)
    payload = store.streams[accepted.stream_id][0].payload
    assert payload["document_number"] == "P1234567" and payload["nationality"] == "LAO"
    with pytest.raises(DomainRuleViolation) as error:
        await svc.register(body(name="  "), CTX)
    assert error.value.field == "name"
