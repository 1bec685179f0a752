"""A registry read model whose document *is* the record: the fold of its stream through each event's ``evolve``
(declared in contracts/), the same state the aggregate decides on and the audit service shows, so they cannot
drift. The house and unit registries are such folds; one handler serves both.
"""

from __future__ import annotations

from contracts.events import DomainEvent, event_class
from services.kernel.messaging.projection import Projection, ProjectionTx


def fold_records(projection: Projection, collection: str, id_field: str, *event_types: type[DomainEvent]) -> None:
    """Handle ``event_types``: the record (found by the payload's ``id_field``) after the event, stored with the
    stream version it reflects (``_version``), when it was registered (``_registered_at``) and last changed."""

    @projection.handles(*event_types)
    async def fold(tx: ProjectionTx) -> None:
        envelope, records = tx.envelope, tx.collection(collection)
        record_id = envelope.payload[id_field]
        stored = await records.find_one({"_id": record_id}, session=tx.session) or {}
        state = {key: value for key, value in stored.items() if not key.startswith("_")}
        state = event_class(envelope.event_type).model_validate(envelope.payload).evolve(state)
        await records.replace_one({"_id": record_id}, {
            **state, "_id": record_id, "_version": envelope.version,
            "_registered_at": stored.get("_registered_at", envelope.occurred_at), "_updated_at": envelope.occurred_at,
        }, upsert=True, session=tx.session)
