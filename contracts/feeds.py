"""The integration feeds (数据共享订阅): the current state of every registry record, published for other systems.

Each entity kind has one compacted topic ``<ns>.feed.<entity>`` (``ybss.feed.person``), keyed by the record id,
carrying a ``FeedMessage`` after every change of a record: the whole current state (a state-carried event), the
record's stream version and the schema version. Compaction keeps the latest state of every record, so a new
subscriber reads the topic from the earliest offset and has the whole registry.

Delivery is at least once and a replay or rebuild publishes the same state again with the same version: a
subscriber applies a message only when its ``version`` is greater than the one it holds for that ``record_id``
(the version is the record's own, never the topic offset); so applied, a record never goes back.

Personal data is masked by the grant the topic is published for (contracts.personal classifies the fields once):
the shared topic carries the default grant (every personal number and name masked, nothing of who is a key
person); a subscriber granted more data classes reads its own topic ``<ns>.feed.<entity>.<subscriber>``
(contracts.feed_subscribers: the subscribers are configuration). These topics are separate from the internal
domain event topics (``<ns>.<context>.events``), which only the contexts and the audit read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: the version of ``FeedMessage``'s shape; a change a subscriber must know about raises it
SCHEMA_VERSION = 1


class EntityKind(StrEnum):
    """实体类型: a registry record kind with a feed, and the context whose registry owns it."""

    PERSON = "person"  # 实有人口
    KEY_PERSON = "key_person"  # 重点人员列管记录
    HOUSE = "house"  # 实有房屋 (its rentals and tenants travel inside the house's state)
    UNIT = "unit"  # 实有单位 (its employees, special trades and inspections travel inside the unit's state)
    DOORPLATE = "doorplate"  # 门牌 (standard address; its buildings and rooms inside it)
    PLACE = "place"  # 地名: roads, streets, residential compounds


#: entity kind → owning context (the service that publishes its feed)
OWNERS: dict[EntityKind, str] = {
    EntityKind.PERSON: "person", EntityKind.KEY_PERSON: "person", EntityKind.HOUSE: "house",
    EntityKind.UNIT: "unit", EntityKind.DOORPLATE: "address", EntityKind.PLACE: "address",
}


class DataClass(StrEnum):
    """A class of personal data a subscriber may be granted whole (数据分级授权); not granted: masked or left out."""

    ID_NUMBER = "id_number"  # 身份证件号码 and other document numbers (visa, residence permit)
    PHONE = "phone"  # 联系电话
    NAME = "name"  # 姓名 of natural persons (owners, lessors, legal representatives, tenants ...)
    KEY_PERSON = "key_person"  # who is a key person (重点人员): the key_person feed itself needs it


#: what the shared topic ``<ns>.feed.<entity>`` is published for: nothing personal whole
DEFAULT_GRANT: frozenset[DataClass] = frozenset()

#: entity kinds a topic exists for only when its grant holds this class (no shared key_person topic)
REQUIRES: dict[EntityKind, DataClass] = {EntityKind.KEY_PERSON: DataClass.KEY_PERSON}


def feed_topic(entity: str, namespace: str = "ybss", subscriber: str | None = None) -> str:
    """``<ns>.feed.<entity>`` (the default grant), or ``<ns>.feed.<entity>.<subscriber>`` (its own grant)."""
    base = f"{namespace}.feed.{EntityKind(entity).value}"
    return f"{base}.{subscriber}" if subscriber else base


def feed_group(subscriber: str, namespace: str = "ybss") -> str:
    """The consumer group a subscriber reads its feeds with (its ACL allows this group only)."""
    return f"{namespace}.feed-subscriber.{subscriber}"


PERSON_EXAMPLE = {
    "schema_version": 1, "entity": "person", "record_id": "P-01a23bf8758d702dbf64d42e423357cc", "version": 3, "context": "person",
    "grant": [],
    "state": {"person_id": "P-01a23bf8758d702dbf64d42e423357cc", "category": "migrant", "document_number": "5116**********4517",
              "name": "王**", "sex": "male", "birth_date": "1992-08-15", "division_code": "532503001",
              "status": "active"},
}


class FeedMessage(BaseModel):
    """订阅消息: the current state of one record after a change. Kafka key = ``record_id`` (UTF-8)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PERSON_EXAMPLE]})

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, description="版本: this message shape's version")
    entity: EntityKind = Field(description="实体类型 (the topic's entity kind)")
    record_id: str = Field(min_length=1, description="记录标识: the record's id, also the message key")
    version: int = Field(ge=1, description="记录版本: the record's stream version after the change; apply a "
                         "message only when it is greater than the version held")
    context: str = Field(description="the owning context (its registry published the state)")
    grant: list[DataClass] = Field(default_factory=list, description="the data classes shown whole in ``state``; "
                                   "everything else personal is masked or left out")
    state: dict[str, Any] = Field(description="当前状态: the record's whole current state, as the registry holds it")

    def key(self) -> bytes:
        return self.record_id.encode()
