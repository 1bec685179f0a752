"""Aggregates rebuilt from their events, and the repository that loads and saves them.

A command method checks the rules against current state and *records* events; recording applies the
event to the state at once, so the method and a later replay go through the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ClassVar, Generic, TypeVar

from contracts.envelope import Actor, EventEnvelope, utc_now
from contracts.events import DomainEvent, event_class
from services.kernel.eventstore import EventStore

E = TypeVar("E", bound=DomainEvent)


def applies(event_type: type[E]) -> Callable[[Callable[[Any, E], None]], Callable[[Any, E], None]]:
    """Mark an aggregate method as the state change for one event type."""

    def mark(method: Callable[[Any, E], None]) -> Callable[[Any, E], None]:
        method._applies_to = event_type  # type: ignore[attr-defined]
        return method

    return mark


class Aggregate:
    """A consistency boundary with one event stream. ``version`` is the last stored version."""

    stream_type: ClassVar[str]
    _appliers: ClassVar[dict[type[DomainEvent], Callable[..., None]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._appliers = {}
        for base in reversed(cls.__mro__):
            for member in vars(base).values():
                target = getattr(member, "_applies_to", None)
                if target is not None:
                    cls._appliers[target] = member

    def __init__(self, stream_id: str) -> None:
        self.id = stream_id
        self.version = 0
        self.pending: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.pending.append(event)

    def apply(self, event: DomainEvent) -> None:
        applier = self._appliers.get(type(event))
        if applier is None:
            raise TypeError(f"{type(self).__name__} has no applier for {event.event_type()}")
        applier(self, event)


@dataclass(frozen=True)
class CommandContext:
    """Who asked, and which conversation this belongs to: copied into every resulting envelope."""

    actor: Actor
    correlation_id: str
    causation_id: str | None = None
    occurred_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


A = TypeVar("A", bound=Aggregate)


class Repository(Generic[A]):
    """Loads an aggregate from its stream and appends its pending events with the expected version."""

    def __init__(self, store: EventStore, aggregate_type: type[A]) -> None:
        self.store = store
        self.aggregate_type = aggregate_type

    async def get(self, stream_id: str) -> A | None:
        envelopes = await self.store.read_stream(stream_id)
        if not envelopes:
            return None
        aggregate = self.aggregate_type(stream_id)
        for envelope in envelopes:
            aggregate.apply(event_class(envelope.event_type).model_validate(envelope.payload))
            aggregate.version = envelope.version
        return aggregate

    async def save(self, aggregate: A, context: CommandContext) -> list[EventEnvelope]:
        now = utc_now()
        envelopes = [
            EventEnvelope(
                event_type=event.event_type(),
                schema_version=type(event).schema_version,
                stream_id=aggregate.id,
                stream_type=aggregate.stream_type,
                version=aggregate.version + offset,
                occurred_at=context.occurred_at or now,
                recorded_at=now,
                actor=context.actor,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id,
                payload=event.model_dump(mode="json"),
            )
            for offset, event in enumerate(aggregate.pending, start=1)
        ]
        await self.store.append(aggregate.id, aggregate.version, envelopes)
        aggregate.version += len(envelopes)
        aggregate.pending.clear()
        return envelopes
