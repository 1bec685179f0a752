"""The access log's published language (查询留痕): who read which record, when, through which route.

Every context records these on ``<ns>.access.events`` (contracts.topics.access_log_topic), one stream per
read (``access-<uuid>``, version 1, stream type ``AccessLog``); the envelope's actor is the reader and its
``division_code`` the record's. The audit service replays them.
"""

from __future__ import annotations

from pydantic import Field

from contracts.events import DomainEvent

ACCESS_STREAM_TYPE = "AccessLog"


class RecordAccessed(DomainEvent):
    """A caller read one record by id, or looked records up by a key (ID number, name, phone ...)."""

    context: str = Field(description="the service that answered", examples=["person"])
    record_type: str = Field(description="kind of record", examples=["person"])
    record_id: str | None = Field(default=None, description="the record read; null for a lookup that found none",
                                  examples=["P5325030000001"])
    route: str = Field(description="the route template", examples=["/v1/persons/{person_id}"])
    method: str = Field(default="GET", examples=["GET"])
    lookup: dict[str, str] = Field(default_factory=dict, description="查询条件: the key used for a lookup "
                                   "(masked as the caller saw it)", examples=[{"id_number": "532503********123X"}])
    result_count: int = Field(default=1, ge=0, description="how many records the lookup returned")
