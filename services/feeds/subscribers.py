"""Feed subscribers (订阅方) are configuration: who reads which entity kinds, granted which classes of personal data.

The shipped list is ``services/feeds/subscribers.json``; ``YBSS_FEED_SUBSCRIBERS_FILE`` names another file (the
deployment's). A subscriber granted no more than the default grant reads the shared topic ``<ns>.feed.<entity>``;
one granted more reads its own ``<ns>.feed.<entity>.<subscriber>``, so no shared topic ever carries more than
the default grant. Each subscriber has its own Kafka credential and consumer group (deploy/k8s/generate.py).
Pure: no I/O beyond reading the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.feeds import DEFAULT_GRANT, OWNERS, REQUIRES, DataClass, EntityKind, feed_topic

SHIPPED = Path(__file__).with_name("subscribers.json")


class Subscriber(BaseModel):
    """One system allowed to read feeds."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="its topics are <ns>.feed.<entity>.<id>",
                    examples=["provincial-exchange"])
    name: str = Field(examples=["省公安厅警综平台数据交换"])
    entity_kinds: list[EntityKind] = Field(min_length=1, description="the entity kinds it reads")
    data_classes: list[DataClass] = Field(default_factory=list, description="personal data it may see whole")

    @model_validator(mode="after")
    def _kinds_need_their_class(self) -> "Subscriber":
        for kind in self.entity_kinds:
            needed = REQUIRES.get(kind)
            if needed is not None and needed not in self.data_classes:
                raise ValueError(f"subscriber {self.id}: entity kind {kind.value} needs data class {needed.value}")
        return self

    @property
    def grant(self) -> frozenset[DataClass]:
        return frozenset(self.data_classes)

    @property
    def own_topics(self) -> bool:
        """Granted more than the shared topics carry: it reads its own."""
        return not self.grant <= DEFAULT_GRANT

    def topics(self, namespace: str = "ybss") -> list[str]:
        """The topics it reads, one per entity kind."""
        return [feed_topic(kind, namespace, self.id if self.own_topics else None) for kind in self.entity_kinds]


@dataclass(frozen=True)
class Publication:
    """One topic an entity kind is published to, and the grant its states are masked for."""

    topic: str
    grant: frozenset[DataClass]


def publications(kind: EntityKind, subscribers: list[Subscriber], namespace: str = "ybss") -> list[Publication]:
    """Where ``kind``'s states go: the shared topic (unless the default grant may not see the kind) and the own
    topic of every subscriber of ``kind`` granted more."""
    shared = [] if kind in REQUIRES and REQUIRES[kind] not in DEFAULT_GRANT else [
        Publication(feed_topic(kind, namespace), DEFAULT_GRANT)]
    return shared + [Publication(feed_topic(kind, namespace, s.id), s.grant)
                     for s in subscribers if kind in s.entity_kinds and s.own_topics]


def topics_of(context: str, subscribers: list[Subscriber], namespace: str = "ybss") -> list[str]:
    """Every feed topic the ``context`` publishes (its entity kinds', shared and own)."""
    return [publication.topic for kind, owner in OWNERS.items() if owner == context
            for publication in publications(kind, subscribers, namespace)]


class FeedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YBSS_FEED_", extra="ignore")

    subscribers_file: Path = SHIPPED
    wait_seconds: float = Field(default=60.0, gt=0, description="how long a change waits for its registry to "
                                "reach it before the registry's state at that moment is published")


@lru_cache
def feed_settings() -> FeedSettings:
    return FeedSettings()


def load(path: Path) -> list[Subscriber]:
    subscribers = [Subscriber.model_validate(item)
                   for item in json.loads(path.read_text(encoding="utf-8"))["subscribers"]]
    ids = [subscriber.id for subscriber in subscribers]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: a subscriber id appears twice")
    return subscribers


@lru_cache
def subscribers() -> list[Subscriber]:
    return load(feed_settings().subscribers_file)
