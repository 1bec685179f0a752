"""Declarations (信息申报) on the in-memory store: the aggregate's transitions and rules, the deadline, the record
each kind hands to its registry, the registry's answer kept once, and the OpenAPI examples the service accepts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.declarations import DeclarationAnswered, DeclarationRejected, DeclarationSubmitted, DeclarationVerified
from contracts.envelope import Actor
from contracts.events import event_class
from contracts.ingest import IngestRecord, IngestReply, Reason
from contracts.ingest_types import RECORD_TYPES
from services.agency.ingest import named_entity
from services.ingest.declarations.application import DeclarationService
from services.ingest.declarations.commands import EXAMPLES, Declare, Reject, Verify
from services.ingest.declarations.domain import Declaration
from services.ingest.declarations.records import HANDOVERS
from services.ingest.declarations.settings import DeclarationSettings
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore

NOW = datetime(2026, 12, 3, 5, 0, tzinfo=timezone.utc)
DECLARE = TypeAdapter(Declare)
HOTEL = Actor(id="hotel-tianma", role="agency", organisation_code="532503001")
POLICE = Actor(id="PC-0001", role="police", organisation_code="532503")
COLLECTOR = Actor(id="GW-0001", role="collector", organisation_code="532503")


def ctx(actor: Actor, scope: str | None = None) -> CommandContext:
    def within(division: str | None) -> None:
        if scope and not (division or "").startswith(scope):
            raise Forbidden(f"{division} outside {scope}")
    return CommandContext(actor=actor, correlation_id="c-1", jurisdiction=within)


def service() -> DeclarationService:
    return DeclarationService(InMemoryEventStore(), InMemoryClaims(), DeclarationSettings(), clock=lambda: NOW)


def pending() -> Declaration:
    return Declaration.declare("D1", "tenant_in", "landlord-1", "532503001", {
        "house_id": "H1", "rental_id": "R1", "person_id": "P1", "moved_in": "2026-12-01"}, NOW, NOW + timedelta(days=3))


def test_declared_then_verified_with_the_registry_record():
    declaration = pending()
    declaration.verify(POLICE, NOW, "核实无误", "house", {"record_id": "x"})
    assert [type(event) for event in declaration.pending] == [DeclarationSubmitted, DeclarationVerified]
    assert declaration.state == "verified"


def test_rejected_with_its_reason():
    declaration = pending()
    declaration.reject(POLICE, NOW, "  身份证号不符  ")
    assert declaration.state == "rejected" and declaration.pending[-1].reason == "身份证号不符"


def test_a_rejection_needs_a_reason():
    with pytest.raises(DomainRuleViolation) as refused:
        pending().reject(POLICE, NOW, "   ")
    assert (refused.value.field, refused.value.rule) == ("reason", "declaration.reason_required")
    with pytest.raises(ValidationError) as invalid:
        Reject.model_validate({"reason": ""})
    assert invalid.value.errors()[0]["loc"] == ("reason",)


def test_only_police_decide_and_never_the_declarant():
    with pytest.raises(Forbidden):
        pending().verify(COLLECTOR, NOW, "", "house", {})
    with pytest.raises(Forbidden):
        pending().reject(HOTEL, NOW, "不行")
    own = Actor(id="landlord-1", role="police", organisation_code="532503")
    with pytest.raises(Forbidden):
        pending().verify(own, NOW, "", "house", {})


@pytest.mark.parametrize("second", ["verify", "reject"])
def test_a_declaration_is_decided_once(second):
    declaration = pending()
    declaration.verify(POLICE, NOW, "", "house", {})
    with pytest.raises(StateConflict) as conflict:
        if second == "verify":
            declaration.verify(POLICE, NOW, "", "house", {})
        else:
            declaration.reject(POLICE, NOW, "晚了")
    assert conflict.value.rule == "declaration.decided"


def test_the_registry_answer_is_kept_once_and_only_after_verification():
    declaration = pending()
    assert not declaration.answer("r1", "accepted", "tenant", "H1/R1/P1", "house-H1", 4, [])
    declaration.verify(POLICE, NOW, "", "house", {})
    assert declaration.answer("r1", "accepted", "tenant", "H1/R1/P1", "house-H1", 4, [])
    assert not declaration.answer("r1", "accepted", "tenant", "H1/R1/P1", "house-H1", 4, [])
    assert [type(e) for e in declaration.pending][-1] is DeclarationAnswered


def test_every_event_folds_into_the_record_the_list_shows():
    declaration = pending()
    declaration.verify(POLICE, NOW, "ok", "house", {"entity_type": "tenant"})
    declaration.answer("r1", "rejected", "tenant", None, None, None,
                       [{"field": "person_id", "rule": "person.unknown", "msg": "no", "msg_zh": "无"}])
    state: dict = {}
    for event in declaration.pending:
        state = event_class(event.event_type()).model_validate(event.model_dump(mode="json")).evolve(state)
    assert state["state"] == "verified" and state["decided_by"] == "PC-0001"
    assert state["registry"]["status"] == "rejected" and state["registry"]["reasons"][0]["rule"] == "person.unknown"
    rejected = pending()
    rejected.reject(POLICE, NOW, "不符")
    state = {}
    for event in rejected.pending:
        state = event.evolve(state)
    assert state["state"] == "rejected" and state["reason"] == "不符" and isinstance(rejected.pending[-1],
                                                                                    DeclarationRejected)


async def test_declare_stamps_the_configured_deadline_and_stays_in_the_declarants_jurisdiction():
    svc = service()
    accepted = await svc.declare(DECLARE.validate_python(EXAMPLES["tenant_in"]["value"]), ctx(HOTEL, "532503001"))
    assert accepted.state == "pending" and accepted.due_at == NOW + timedelta(hours=72)
    guest = await svc.declare(DECLARE.validate_python(EXAMPLES["guest_check_in"]["value"]), ctx(HOTEL, "532503001"))
    assert guest.due_at == NOW + timedelta(hours=24)
    elsewhere = {**EXAMPLES["tenant_in"]["value"], "division_code": "532502001"}
    with pytest.raises(Forbidden):
        await svc.declare(DECLARE.validate_python(elsewhere), ctx(HOTEL, "532503001"))


async def test_verify_by_police_of_another_jurisdiction_is_refused_and_a_second_verify_conflicts():
    svc = service()
    accepted = await svc.declare(DECLARE.validate_python(EXAMPLES["employee_in"]["value"]), ctx(HOTEL))
    with pytest.raises(Forbidden):
        await svc.verify(accepted.declaration_id, Verify(), ctx(POLICE, "532502"))
    verified = await svc.verify(accepted.declaration_id, Verify(remark="属实"), ctx(POLICE, "532503"))
    assert verified.state == "verified" and verified.version == 2
    with pytest.raises(StateConflict):
        await svc.verify(accepted.declaration_id, Verify(), ctx(POLICE, "532503"))


async def test_the_answer_to_a_handed_over_declaration_is_kept_once():
    svc = service()
    accepted = await svc.declare(DECLARE.validate_python(EXAMPLES["tenant_in"]["value"]), ctx(HOTEL))
    await svc.verify(accepted.declaration_id, Verify(), ctx(POLICE))
    reply = IngestReply(agency="declarations", record_id="tenant:H/R/P", status="rejected", entity_type="tenant",
                        batch_id=accepted.declaration_id, reasons=[Reason(field="house_id", rule="house.not_found",
                                                                          msg="no such house")])
    assert await svc.record_answer(accepted.declaration_id, reply, ctx(POLICE))
    assert not await svc.record_answer(accepted.declaration_id, reply, ctx(POLICE))
    assert not await svc.record_answer("D-unknown", reply, ctx(POLICE))


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_each_documented_example_is_accepted_and_hands_over_a_record_its_registry_applies(kind):
    """The OpenAPI example validates, and its record names a record type of the agency table, an operation that
    type has and only fields that operation applies (what the registry's handler takes)."""
    command = DECLARE.validate_python(EXAMPLES[kind]["value"])
    details = command.model_dump(mode="json", exclude={"kind", "division_code"})
    record = IngestRecord.model_validate(HANDOVERS[kind].record("D1", command.division_code, details))
    record_type = RECORD_TYPES[record.entity_type]
    applies = record_type.applies(record.operation)
    assert applies is not None, f"{record.entity_type} has no {record.operation}"
    names = set(applies.fields) | (set(record_type.entity_id.split("/")) if record.operation == "cancel" else set())
    assert set(record.fields) <= names, set(record.fields) - names


def test_a_move_out_cancels_the_record_the_move_in_created():
    details = {"house_id": "H1", "rental_id": "R1", "person_id": "P1", "moved_in": "2026-12-01",
               "moved_out": "2026-12-20"}
    moved_in = HANDOVERS["tenant_in"].record("D1", "532503001", details)
    moved_out = HANDOVERS["tenant_out"].record("D2", "532503001", details)
    assert moved_in["record_id"] == moved_out["record_id"] == "tenant:H1/R1/P1"
    assert (moved_in["operation"], moved_out["operation"]) == ("create", "cancel")
    assert moved_out["fields"] == {"house_id": "H1", "rental_id": "R1", "person_id": "P1", "moved_out": "2026-12-20"}
    # a tenancy the declarations did not create is found by the ids the move-out names
    assert named_entity(IngestRecord.model_validate(moved_out)) == "H1/R1/P1"
    assert named_entity(IngestRecord.model_validate({**moved_out, "fields": {"moved_out": "2026-12-20"}})) is None
    assert named_entity(IngestRecord(record_id="x", entity_type="person", operation="cancel",
                                     fields={"person_id": "P1"})) is None


def test_the_openapi_document_carries_every_kind_and_a_chinese_summary_and_the_service_accepts_its_examples(
        monkeypatch):
    monkeypatch.setenv("YBSS_ENVIRONMENT", "local")
    from services.ingest.app import build_app

    spec = build_app().openapi()
    declare = spec["paths"]["/v1/declarations"]["post"]
    examples = declare["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == set(EXAMPLES) and "信息申报" in declare["summary"]
    for example in examples.values():
        DECLARE.validate_python(example["value"])
    for decision, model in (("verify", Verify), ("reject", Reject)):
        operation = spec["paths"][f"/v1/declarations/{{declaration_id}}/{decision}"]["post"]
        schema = spec["components"]["schemas"][model.__name__]
        assert any("\u4e00" <= c <= "\u9fff" for c in operation["summary"])
        for example in schema["examples"]:
            model.model_validate(example)
