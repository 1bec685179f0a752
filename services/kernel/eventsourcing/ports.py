"""The ports the application layer talks to: an event store and a claims store.

Two implementations of each: MongoDB (services.kernel.eventsourcing.eventstore, services.kernel.eventsourcing.claims) for the running
services, and in-memory (services.kernel.eventsourcing.memory) for fast unit tests. One contract test suite
(tests/contract) runs against both, so the fakes cannot drift from the real thing.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from contracts.envelope import EventEnvelope


class EventStorePort(Protocol):
    async def append(self, stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]) -> int:
        """Store versions expected+1.. or raise ConcurrencyConflict; returns the new last version."""

    async def append_many(self, appends: Sequence[tuple[str, int, Sequence[EventEnvelope]]]) -> list[int | Exception]:
        """Many streams' appends at once (an initial load): per append its new last version or its
        ConcurrencyConflict; each stands or falls alone."""

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[EventEnvelope]:
        """The stream's events in version order (upcast to the newest schema)."""

    async def current_version(self, stream_id: str) -> int:
        """0 for a stream never written."""


class ClaimsPort(Protocol):
    """Write-side uniqueness: a key held by one owner; the unique key decides races (see claims.py)."""

    async def take(self, key: str, owner: str) -> str:
        """Claim ``key`` for ``owner``; returns the owner that holds it now (ours or the earlier one)."""

    async def take_many(self, keys: Sequence[str], owner: str) -> dict[str, str]:
        """``take`` of many keys at once: each key's holder now."""

    async def rekey_many(self, changes: Sequence[tuple[str, str]], from_owner: str) -> None:
        """``rekey`` of many (key, to_owner) at once."""

    async def release_many(self, keys: Sequence[str], owner: str) -> None:
        """``release`` of many keys at once."""

    async def rekey(self, key: str, from_owner: str, to_owner: str) -> bool:
        """Hand a claim from a pending token to the registered id; False when we no longer hold it."""

    async def release(self, key: str, owner: str) -> None:
        """Drop ``key`` if ``owner`` holds it (a no-op otherwise)."""

    async def release_all(self, owner: str, prefix: str = "") -> int:
        """Drop every claim ``owner`` holds whose key starts with ``prefix`` (a retired record frees its keys)."""

    async def release_if_stale(self, key: str, owner: str, older_than_seconds: float) -> bool:
        """Drop a claim its holder never completed (the process died between claiming and registering)."""

    async def owner_of(self, key: str) -> str | None:
        ...


def check_versions(stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]) -> None:
    """An append's envelopes are versions expected+1, expected+2, ... of its stream: a caller's bug otherwise,
    refused the same way by both stores."""
    for offset, envelope in enumerate(envelopes, start=1):
        if envelope.stream_id != stream_id or envelope.version != expected_version + offset:
            raise ValueError(f"envelope {envelope.event_type} is not version {expected_version + offset} of {stream_id}")
