"""The agency ingestion contract (社会化采集): what an agency publishes and what it gets back.

An agency (民政, 住建, 市场监管, 旅馆业, 物流 ...) publishes ``IngestRecord`` messages to its topic
``<ns>.ingest.<agency>`` (key = its record id) or posts them in a batch over HTTP; every record is answered on
``<ns>.ingest.<agency>.replies`` (key = its record id) with an ``IngestReply``: accepted with the entity id and
version, or rejected with every failing field and rule in Chinese and English (符合标准的数据方可进入).

Answers are delivered at least once: a rebalance or a crash between answering and committing answers a record
again. A repeated answer is the same answer: ``reply_id`` is derived from what the answer says (record, operation,
content hash, outcome, batch row), so an agency drops a reply whose ``reply_id`` it has seen, and matches an
answer to what it sent by ``operation`` and ``content_hash``, never by position on the topic.

Between the gate (the ingest context) and the registry that owns the entity type travels an
``IngestCommand`` on ``<ns>.<context>.ingest``; agencies never see it. A record is applied at most once per
(agency, record id, content hash), however often it is redelivered or resent.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from contracts.envelope import utc_now
from contracts.topics import context_topic

from contracts.ingest_types import OWNERS, RECORD_TYPES  # noqa: F401 - the record types' table, re-exported

Operation = Literal["create", "update", "cancel"]

PERSON_EXAMPLE = {
    "record_id": "MZ-2026-000123", "entity_type": "person", "operation": "create",
    "fields": {"category": "registered", "document_number": "53250319900307121X", "name": "张丽", "sex": "female",
               "birth_date": "1990-03-07", "ethnicity": "汉族", "phone": "13800138000",
               "division_code": "532503001", "household_number": "532503001001", "relation_to_head": "户主",
               "lives_at_registered_address": True},
}
HOUSE_EXAMPLE = {
    "record_id": "ZJ-FW-88001", "entity_type": "house", "operation": "create",
    "fields": {"address_text": "蒙自市文澜街道天马路18号", "property_nature": "private", "use": "rented", "area": 120.5},
}
REJECTED_EXAMPLE = {
    "agency": "mz-civil-affairs", "record_id": "MZ-2026-000124", "status": "rejected", "entity_type": "person",
    "operation": "create", "content_hash": "9f2c3b4a", "reasons": [{"field": "birth_date", "rule": "identity.birth_date_mismatch",
                                            "msg": "birth date does not match the ID number",
                                            "msg_zh": "出生日期与身份证号码不符"}],
}


class IngestRecord(BaseModel):
    """采集记录: one record as the agency sends it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PERSON_EXAMPLE, HOUSE_EXAMPLE]})

    record_id: str = Field(min_length=1, max_length=128, description="the agency's own record id (本机构记录编号); "
                           "the key of the answer", examples=["MZ-2026-000123"])
    entity_type: str = Field(min_length=1, max_length=32, description="实体类型, one of the record types "
                             "(contracts/ingest_types.py): " + ", ".join(
                                 f"{name} {kind.title.split()[0]}" for name, kind in RECORD_TYPES.items()),
                             examples=["person"])
    operation: Operation = Field(default="create", description="create 新增, update 更新 (a record sent before), "
                                 "cancel 注销", examples=["create"])
    fields: dict[str, Any] = Field(default_factory=dict, description="the registry's command fields (see docs/INGEST.md); "
                                   "a free-text address goes in ``address_text``", examples=[PERSON_EXAMPLE["fields"]])


class Reason(BaseModel):
    """不符合标准的原因: one failing field and rule."""

    field: str = Field(description="the field (dotted path) or '' for the whole record", examples=["birth_date"])
    rule: str = Field(description="the rule broken", examples=["identity.birth_date_mismatch"])
    msg: str = Field(description="English message", examples=["birth date does not match the ID number"])
    msg_zh: str = Field(default="", description="中文说明", examples=["出生日期与身份证号码不符"])


class AddressLink(BaseModel):
    """How a free-text address became a standard address (自动匹配 or 人工确认)."""

    address_code: str = Field(examples=["532503001509034148625531"])
    score: float | None = Field(default=None, description="the matcher's score (None when a collector picked it)")
    reason: str = Field(description="auto-matched above the threshold, or the collector's decision",
                        examples=["auto: score 0.97 ≥ 0.9"])
    text: str = Field(description="the agency's free text", examples=["蒙自市文澜街道天马路18号"])
    decided_by: str | None = Field(default=None, description="the collector who resolved the review item")


class IngestCommand(BaseModel):
    """Gate → owning registry: an accepted record and who sent it (internal, on ``<ns>.<context>.ingest``)."""

    agency: str
    jurisdiction: str = Field(description="the agency's division prefix; the registry checks every record against it")
    record: IngestRecord
    content_hash: str
    batch_id: str | None = None
    row: int | None = Field(default=None, description="the row of a spreadsheet or the index in an HTTP batch")
    address_link: AddressLink | None = None
    received_at: datetime = Field(default_factory=utc_now)

    @property
    def claim_key(self) -> str:
        """(agency, record id, content hash): the unit of at-most-once."""
        return f"ingest:{self.agency}:{self.record.record_id}:{self.content_hash}"


class IngestReply(BaseModel):
    """处理结果: the answer to one record."""

    model_config = ConfigDict(json_schema_extra={"examples": [REJECTED_EXAMPLE, {
        "agency": "mz-civil-affairs", "record_id": "MZ-2026-000123", "status": "accepted", "entity_type": "person",
        "operation": "create", "entity_id": "P-0192f1a2b3c4", "stream_id": "person-P-0192f1a2b3c4", "version": 1,
        "content_hash": "1a2b3c4d", "reasons": []}]})

    agency: str = Field(examples=["mz-civil-affairs"])
    record_id: str = Field(examples=["MZ-2026-000123"])
    status: Literal["accepted", "rejected", "review"] = Field(
        description="accepted 已入库, rejected 退回 (see reasons), review 待地址治理 (a collector must pick the address)")
    entity_type: str | None = Field(default=None, examples=["person"])
    operation: Operation | None = Field(default=None, description="the operation the agency asked for (None when "
                                        "the record could not be read)", examples=["create"])
    entity_id: str | None = Field(default=None, examples=["P-0192f1a2b3c4"])
    stream_id: str | None = Field(default=None, examples=["person-P-0192f1a2b3c4"])
    version: int | None = Field(default=None, examples=[1])
    content_hash: str | None = Field(default=None)
    batch_id: str | None = Field(default=None, description="the HTTP batch or spreadsheet import it belonged to")
    row: int | None = None
    reasons: list[Reason] = Field(default_factory=list)
    address_link: AddressLink | None = None
    replied_at: datetime = Field(default_factory=utc_now)

    @computed_field(description="应答编号: the same for every delivery of the same answer; drop a reply_id seen before")
    @property
    def reply_id(self) -> str:
        said = [self.agency, self.record_id, self.operation, self.content_hash, self.status, self.entity_id,
                self.version, self.batch_id, self.row, sorted((r.field, r.rule) for r in self.reasons)]
        return hashlib.sha256(json.dumps(said, ensure_ascii=False, default=str).encode()).hexdigest()[:24]


def content_hash(record: IngestRecord) -> str:
    """A hash of what the record says (entity type, operation, fields), independent of key order."""
    body = json.dumps([record.entity_type, record.operation, record.fields], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def agency_topic(agency: str, namespace: str = "ybss") -> str:
    """``<ns>.ingest.<agency>``: where an agency publishes its records."""
    return context_topic("ingest", agency, namespace)


def replies_topic(agency: str, namespace: str = "ybss") -> str:
    """``<ns>.ingest.<agency>.replies``: where it reads the answers."""
    return context_topic("ingest", f"{agency}.replies", namespace)


def owner_topic(context: str, namespace: str = "ybss") -> str:
    """``<ns>.<context>.ingest``: accepted records handed to the registry that owns them."""
    return context_topic(context, "ingest", namespace)


#: published as JSON Schema by ``ybss schema`` next to the events (contracts.schema_export)
PUBLISHED_MESSAGES = {"IngestRecord": IngestRecord, "IngestReply": IngestReply}

# declarations (信息申报) are the ingest context's own events: importing this module registers them
from contracts.declarations import (  # noqa: E402,F401
    DeclarationAnswered, DeclarationRejected, DeclarationSubmitted, DeclarationVerified,
)
