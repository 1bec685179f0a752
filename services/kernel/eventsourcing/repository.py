"""The repository: loads an aggregate from its stream and appends its pending events (the I/O side)."""

from __future__ import annotations

from typing import Generic, TypeVar

from contracts.envelope import EventEnvelope, utc_now
from contracts.events import event_class
from services.kernel.eventsourcing.aggregate import Aggregate, CommandContext
from services.kernel.eventsourcing.ports import EventStorePort

A = TypeVar("A", bound=Aggregate)


class Repository(Generic[A]):
    """Loads an aggregate from its stream and appends its pending events with the expected version."""

    def __init__(self, store: EventStorePort, aggregate_type: type[A]) -> None:
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
        envelopes = self.envelopes(aggregate, context)
        await self.store.append(aggregate.id, aggregate.version, envelopes)
        self.saved(aggregate, envelopes)
        return envelopes

    @staticmethod
    def saved(aggregate: A, envelopes: list[EventEnvelope]) -> None:
        """The aggregate after its pending events were stored."""
        aggregate.version += len(envelopes)
        aggregate.pending.clear()

    @staticmethod
    def envelopes(aggregate: A, context: CommandContext) -> list[EventEnvelope]:
        """The aggregate's pending events in their envelopes (versions after its loaded one)."""
        now = utc_now()
        return [
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
                division_code=aggregate.division_code or None,
                payload=event.model_dump(mode="json"),
            )
            for offset, event in enumerate(aggregate.pending, start=1)
        ]
