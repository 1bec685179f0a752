"""The envelope every ybss event travels in (ARCHITECTURE.md, "Envelope").

Agencies and every service share this shape; the same metadata also travels as Kafka headers so that a
consumer can route, deduplicate and trace a message without parsing its payload.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from uuid6 import uuid7


def new_event_id() -> UUID:
    """A time-ordered UUIDv7, so event ids sort in the order they were recorded."""
    return uuid7()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Channel(StrEnum):
    """How the fact reached us (采集渠道)."""

    app = "app"
    web = "web"
    agency = "agency"
    import_ = "import"


class Actor(BaseModel):
    """Who caused the event: the authenticated subject of the request or the publishing agency."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="subject id (警号, 网格员编号, agency client id)", examples=["PC-530001"])
    role: str = Field(description="role at the time of the action", examples=["police"])
    organisation_code: str = Field(description="organisation code (单位代码)", examples=["532503"])
    channel: Channel = Field(default=Channel.web, description="collection channel")
    client_ip: str | None = Field(default=None, description="client IP as seen by the service")


class EventEnvelope(BaseModel):
    """One stored and published fact. Immutable once recorded: new schema versions come with upcasters."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=new_event_id, description="UUIDv7, time-ordered")
    event_type: str = Field(description="past-tense fact name", examples=["DoorplateRegistered"])
    schema_version: int = Field(default=1, ge=1)
    stream_id: str = Field(description="aggregate id; the Kafka key", examples=["doorplate-5325030010001"])
    stream_type: str = Field(description="aggregate kind", examples=["Doorplate"])
    version: int = Field(ge=1, description="1, 2, 3... per stream")
    occurred_at: datetime = Field(default_factory=utc_now, description="when it happened in the world")
    recorded_at: datetime = Field(default_factory=utc_now, description="when ybss stored it")
    actor: Actor
    correlation_id: str = Field(description="the request or conversation this event belongs to")
    causation_id: str | None = Field(default=None, description="id of the command or event that caused it")
    division_code: str | None = Field(
        default=None, description="归属辖区: division code of the jurisdiction that owns the record (consumers "
        "scope by it without a lookup)", examples=["532503001"])
    payload: dict[str, Any] = Field(default_factory=dict)

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """The envelope's metadata as Kafka headers (everything but the payload)."""
        pairs = {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "schema_version": str(self.schema_version),
            "stream_id": self.stream_id,
            "stream_type": self.stream_type,
            "version": str(self.version),
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "actor_id": self.actor.id,
            "actor_role": self.actor.role,
            "actor_organisation_code": self.actor.organisation_code,
            "actor_channel": str(self.actor.channel),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id or "",
            "division_code": self.division_code or "",
        }
        return [(key, value.encode()) for key, value in pairs.items()]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "EventEnvelope":
        return cls.model_validate_json(raw)
