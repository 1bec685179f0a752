"""The gate's own rules (pure), the contract's hash and the published documents of agency ingestion."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from contracts.ingest import IngestRecord, content_hash
from services.ingest.asyncapi import OUT, render
from services.ingest.config import Agency, agencies
from services.ingest.gate import check, duplicates, parse
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.agency.ingest import agency_context, reasons_of
from services.person.commands import RegisterPerson

HOUSING = Agency(id="mz-housing", name="蒙自市住建局", jurisdiction="532503",
                 entity_types={"house": ["address_code", "address_text", "use", "property_nature"]})


def record(**overrides) -> IngestRecord:
    return IngestRecord.model_validate({"record_id": "R1", "entity_type": "house",
                                        "fields": {"address_code": "532503001509034148625531", "use": "rented"},
                                        **overrides})


def test_a_permitted_record_passes():
    assert check(HOUSING, record()) == []


def test_a_record_over_64_kb_is_turned_back_naming_its_fields_whatever_the_path():
    """Kafka or HTTP alike: an oversized record is a rejection, never a producer failure or a parked message."""
    big = record(fields={"address_code": "532503001509034148625531", "use": "x" * 70_000})
    reasons = check(HOUSING, big)
    assert [(r.field, r.rule) for r in reasons] == [("fields", "record.too_large")] and "65536" in reasons[0].msg


@pytest.mark.parametrize("raw, rule", [(b"\xff", "record.malformed"), (b"{", "record.malformed"),
                                        (b"[]", "record.malformed"), (b'{"entity_type": "house"}', "missing"),
                                        (b'{"record_id": "x", "entity_type": "house", "colour": 1}', "extra_forbidden")])
def test_malformed_bytes_name_the_rule(raw, rule):
    checked = parse(raw, "key-1")
    assert not checked.ok and checked.reasons[0].rule == rule and checked.reasons[0].msg_zh
    assert checked.record_id in ("key-1", "x")


def test_unknown_and_unpermitted_entity_types_fields_and_jurisdiction():
    assert check(HOUSING, record(entity_type="boat"))[0].rule == "entity_type.unknown"
    assert check(HOUSING, record(entity_type="person"))[0].rule == "entity_type.not_permitted"
    reasons = check(HOUSING, record(fields={"address_code": "530102001000", "area": 3, "owner": {}}))
    assert [(r.field, r.rule) for r in reasons] == [("area", "field.not_permitted"), ("owner", "field.not_permitted"),
                                                    ("address_code", "jurisdiction.outside")]
    assert all(r.msg and r.msg_zh for r in reasons)


def test_a_record_id_twice_in_a_batch_is_refused_only_with_different_content():
    same = [record(), record()]
    assert duplicates(same) == {}
    assert duplicates([record(), record(fields={"use": "vacant"})])[1].rule == "record_id.duplicate"


def test_the_content_hash_ignores_key_order_and_sees_every_value():
    a = record(fields={"use": "rented", "address_code": "1"})
    b = record(fields={"address_code": "1", "use": "rented"})
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(record(fields={"address_code": "1", "use": "vacant"}))
    assert content_hash(a) != content_hash(a.model_copy(update={"operation": "update"}))


def test_refusals_become_reasons_in_both_languages():
    rule = reasons_of(DomainRuleViolation("birth_date", "identity.mismatch", "no", "不符"))[0]
    assert (rule.field, rule.rule, rule.msg_zh) == ("birth_date", "identity.mismatch", "不符")
    try:
        RegisterPerson.model_validate({"category": "registered", "name": "张三"})
    except ValidationError as error:
        reasons = reasons_of(error)
    assert {r.field for r in reasons} >= {"registered.document_number", "registered.sex"}
    assert all(r.msg_zh for r in reasons)
    assert reasons_of(StateConflict("person.duplicate", "dup", "重复"))[0].rule == "person.duplicate"
    assert reasons_of(Forbidden("out", "不在"))[0].rule == "jurisdiction.outside"
    assert reasons_of(ConnectionError("down")) is None  # not the record's fault: retried, never rejected


def test_the_agency_context_confines_the_agency_to_its_jurisdiction():
    ctx = agency_context("mz-housing", "532503", "c", "ingest:mz-housing:R1:h")
    assert ctx.actor.role == "agency" and str(ctx.actor.channel) == "agency" and ctx.causation_id.startswith("ingest:")
    ctx.require_within("532503001")
    with pytest.raises(Forbidden) as refused:
        ctx.require_within("530102001")
    assert "532503" in refused.value.message_zh


def test_the_shipped_agencies_are_valid_and_name_their_jurisdictions():
    shipped = agencies()
    assert {"mz-civil-affairs", "mz-housing", "mz-market", "wl-grid-app"} <= set(shipped)
    assert all(agency.entity_types and agency.jurisdiction.startswith("5325") for agency in shipped.values())


def test_the_committed_asyncapi_document_is_current():
    assert OUT.read_text(encoding="utf-8") == render(), "run `python -m services.ingest.asyncapi`"
    document = json.loads(render())
    assert document["asyncapi"].startswith("3.") and "IngestRecord" in document["components"]["schemas"]


def test_a_repeated_answer_has_the_same_reply_id_and_a_different_answer_another():
    """Answers come at least once (docs/INGEST.md): an agency drops a reply_id it has seen."""
    from contracts.ingest import IngestReply

    accepted = IngestReply(agency="mz-civil-affairs", record_id="MZ-1", status="accepted", entity_type="person",
                           operation="create", entity_id="P-1", stream_id="person-P-1", version=1, content_hash="h1")
    stored = accepted.model_dump(mode="json")
    assert stored["reply_id"] and stored["operation"] == "create"
    again = IngestReply.model_validate({**stored, "replied_at": "2026-12-03T00:00:00Z"})  # answered from storage later
    assert again.reply_id == accepted.reply_id
    update = accepted.model_copy(update={"operation": "update", "version": 2, "content_hash": "h2"})
    assert update.reply_id != accepted.reply_id
    rejected = accepted.model_copy(update={"status": "rejected", "entity_id": None, "version": None})
    assert rejected.reply_id != accepted.reply_id
    other_row = accepted.model_copy(update={"batch_id": "B1", "row": 7})
    assert other_row.reply_id != accepted.reply_id


def test_the_import_command_refuses_to_mint_a_token_for_an_agency_nobody_configured():
    """A development token (tests run in local mode) for an unknown agency would only be refused (401): say so
    before uploading anything."""
    from services.ingest.cli import token_for

    with pytest.raises(SystemExit, match="unknown agency 'no-such-bureau'.*mz-civil-affairs"):
        token_for("no-such-bureau", None)
    assert token_for("no-such-bureau", "given-token") == "given-token"
