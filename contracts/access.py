"""The access log's published language (查询留痕): who read which record, when, through which route.

Every context records these on ``<ns>.access.events`` (contracts.topics.access_log_topic), one stream per
read (``access-<uuid>``, version 1, stream type ``AccessLog``); the envelope's actor is the reader and its
``division_code`` the record's. The audit service replays them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import DomainEvent

ACCESS_STREAM_TYPE = "AccessLog"
#: at most this many returned records are named in one event (``result_count`` keeps the whole count)
MAX_RECORDS_NAMED = 500


class AccessedRecord(BaseModel):
    """One person a multi-result read returned, with the division it belongs to (so an audit can tell the
    persons outside the reader's jurisdiction, e.g. a unit's employees registered elsewhere)."""

    model_config = ConfigDict(frozen=True)

    record_id: str = Field(max_length=100, examples=["P-0192f1a2b3c4"])
    division_code: str | None = Field(default=None, max_length=12, examples=["532502001"])


class RecordAccessed(DomainEvent):
    """A caller read one record by id, looked records up by a key (ID number, name, phone ...) or listed many
    (a category, a deadline list, a watch list ...), or was refused or answered "not found" trying.

    Version 1, evolved compatibly: ``outcome`` and ``records`` are optional with defaults that describe every
    event written before them (an answered read naming no list)."""

    context: str = Field(description="the service that answered", examples=["person"])
    record_type: str = Field(description="kind of record", examples=["person"])
    record_id: str | None = Field(default=None, description="the record read; null for a lookup that found none",
                                  examples=["P5325030000001"])
    route: str = Field(description="the route template", examples=["/v1/persons/{person_id}"])
    method: str = Field(default="GET", examples=["GET"])
    lookup: dict[str, str] = Field(default_factory=dict, description="查询条件: the key used for a lookup "
                                   "(masked as the caller saw it)", examples=[{"id_number": "532503********123X"}])
    result_count: int = Field(default=1, ge=0, description="how many records the lookup returned")
    outcome: Literal["read", "refused", "not_found"] = Field(
        default="read", description="查询结果: read (answered), refused (403: role or jurisdiction), not_found (404)",
        examples=["read"])
    records: list[AccessedRecord] = Field(
        default_factory=list, max_length=MAX_RECORDS_NAMED,
        description="the persons a multi-result read returned (id and division; the first 500, result_count has "
                    "them all); empty for a single-record read, whose record_id says it")
