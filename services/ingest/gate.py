"""The data-standard gate (数据准入): what is the agency's business, checked before any registry sees a record.

Pure: known agency, well-formed record, known entity type it may publish, only fields it may publish, only
its own jurisdiction. The registry that owns the entity type checks the record against its own rules after
this (services.agency.ingest); what is checked here is what only the gate knows (the agency's permissions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import ValidationError

from contracts.ingest import IngestRecord, Reason
from contracts.ingest_types import RECORD_TYPES
from services.ingest.config import Agency
from services.agency.ingest import reasons_of

#: record fields that name where a record lies (a division, or a code that begins with the division)
LOCATING_FIELDS = ("division_code", "address_code", "parent_code", "place_code")
#: one record's fields as JSON at most (a person is about 1 KB): a batch goes to Kafka a record a message, and a
#: record over the producer's message size would fail the whole submission instead of being turned back
MAX_RECORD_BYTES = 64 * 1024


@dataclass
class Checked:
    """A record through the gate, or the reasons it is turned back."""

    record_id: str
    record: IngestRecord | None = None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.reasons


def reason(field_name: str, rule: str, msg: str, msg_zh: str) -> Reason:
    return Reason(field=field_name, rule=rule, msg=msg, msg_zh=msg_zh)


def unknown_agency(agency_id: str) -> Reason:
    return reason("agency", "agency.unknown", f"agency {agency_id!r} is not configured", f"未登记的采集单位 {agency_id}")


def parse(raw: bytes | str | dict, fallback_id: str = "") -> Checked:
    """Bytes or a decoded body → a record, or why not (malformed JSON, not an object, wrong shape)."""
    if isinstance(raw, (bytes, str)):
        try:
            raw = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as error:
            return Checked(fallback_id, reasons=[reason("", "record.malformed", f"not JSON: {error}",
                                                        "记录不是合法的 JSON")])
    if not isinstance(raw, dict):
        return Checked(fallback_id, reasons=[reason("", "record.malformed", "a record is a JSON object",
                                                    "记录应为 JSON 对象")])
    record_id = str(raw.get("record_id") or fallback_id)[:128]
    try:
        return Checked(record_id, record=IngestRecord.model_validate(raw))
    except ValidationError as error:
        return Checked(record_id, reasons=reasons_of(error) or [])


def check(agency: Agency, record: IngestRecord) -> list[Reason]:
    """Every gate rule ``record`` breaks for ``agency`` (empty: it may pass to its registry)."""
    size = len(json.dumps(record.fields, ensure_ascii=False, default=str).encode())
    if size > MAX_RECORD_BYTES:
        return [reason("fields", "record.too_large", f"the record's fields are {size} bytes; a record holds at most "
                       f"{MAX_RECORD_BYTES} bytes", f"单条记录字段共 {size} 字节，超过上限 {MAX_RECORD_BYTES} 字节")]
    kind = RECORD_TYPES.get(record.entity_type)
    if kind is None:
        return [reason("entity_type", "entity_type.unknown", f"unknown entity type {record.entity_type!r}; known: "
                       f"{', '.join(RECORD_TYPES)}", f"未知的实体类型 {record.entity_type}")]
    if not agency.may_publish(record.entity_type):
        return [reason("entity_type", "entity_type.not_permitted", f"{agency.id} may not publish "
                       f"{record.entity_type} records", f"{agency.name} 无权报送 {record.entity_type} 数据")]
    if kind.applies(record.operation) is None:
        return [reason("operation", "operation.unsupported", f"{record.entity_type} records cannot be "
                       f"{record.operation}d by an agency (they can be: {', '.join(kind.operations)})",
                       f"机构不能对 {kind.title.split()[0]} 执行 {record.operation}")]
    reasons = not_permitted(agency, record)
    for name in LOCATING_FIELDS:
        value = record.fields.get(name)
        if isinstance(value, str) and value and not value.startswith(agency.jurisdiction):
            reasons.append(reason(name, "jurisdiction.outside", f"{name} {value} lies outside {agency.id}'s "
                                  f"jurisdiction {agency.jurisdiction}",
                                  f"{value} 不在 {agency.name} 的报送辖区 {agency.jurisdiction} 内"))
    return reasons


def not_permitted(agency: Agency, record: IngestRecord) -> list[Reason]:
    """``field.not_permitted`` for each field sent that the agency is not granted, or that the operation does not
    apply (contracts/ingest_types.py): refused by name, never dropped."""
    granted = set(agency.entity_types[record.entity_type])
    inapplicable = set(RECORD_TYPES[record.entity_type].not_applicable(record.operation, record.fields))
    reasons = []
    for name in sorted(record.fields):
        if name not in granted:
            reasons.append(reason(name, "field.not_permitted", f"{agency.id} may not publish field {name!r}",
                                  f"{agency.name} 无权报送字段 {name}"))
        elif name in inapplicable:
            reasons.append(reason(name, "field.not_permitted", f"{record.entity_type} {record.operation} does not "
                                  f"apply field {name!r}", f"{record.entity_type} 的 {record.operation} 操作不适用字段 {name}"))
    return reasons


def duplicates(records: list[IngestRecord]) -> dict[int, Reason]:
    """In one batch a record id names one record: a second one with other content is refused (by index);
    the same content twice is harmless (applied once)."""
    seen: dict[str, IngestRecord] = {}
    refused: dict[int, Reason] = {}
    for index, record in enumerate(records):
        first = seen.setdefault(record.record_id, record)
        if first is not record and first != record:
            refused[index] = reason("record_id", "record_id.duplicate", f"record id {record.record_id} appears twice "
                                    "in the batch with different content", f"批次内记录编号 {record.record_id} 重复且内容不同")
    return refused
