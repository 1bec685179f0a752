"""A consumed record as an event envelope, upcast to the current schema; a record that is none is Undecodable
(no retry can fix it: it goes straight to the dead letters)."""

from __future__ import annotations

from pydantic import ValidationError

from contracts.envelope import EventEnvelope
from contracts.events import upcast


class Undecodable(Exception):
    """A message that is not a valid envelope: no retry can fix it."""


def decode(value: bytes) -> EventEnvelope:
    try:
        envelope = EventEnvelope.from_bytes(value)
    except (ValidationError, ValueError) as error:
        raise Undecodable(str(error)) from error
    version, payload = upcast(envelope.event_type, envelope.schema_version, envelope.payload)
    if version != envelope.schema_version:
        envelope = envelope.model_copy(update={"schema_version": version, "payload": payload})
    return envelope
