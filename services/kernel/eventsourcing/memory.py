"""In-memory event store and claims: the fakes for unit tests of domains and application services.

They implement the same ports as the MongoDB adapters and pass the same contract tests (tests/contract), so
a unit test with them means what an integration test would: a duplicate version is a conflict, a stale
claim is released, a refused registration keeps no claim.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Sequence

from contracts.envelope import EventEnvelope
from contracts.events import upcast
from services.kernel.base.errors import ConcurrencyConflict
from services.kernel.eventsourcing.ports import check_versions


class InMemoryEventStore:
    def __init__(self) -> None:
        self.streams: dict[str, list[EventEnvelope]] = defaultdict(list)
        self.log: list[EventEnvelope] = []  #: every event in append order (what a relay would publish)

    async def append(self, stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]) -> int:
        if not envelopes:
            return expected_version
        check_versions(stream_id, expected_version, envelopes)
        current = len(self.streams[stream_id])
        if current != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, current)
        self.streams[stream_id].extend(envelopes)
        self.log.extend(envelopes)
        return envelopes[-1].version

    async def append_many(self, appends: Sequence[tuple[str, int, Sequence[EventEnvelope]]]) -> list[int | Exception]:
        results: list[int | Exception] = []
        for stream_id, expected_version, envelopes in appends:
            try:
                results.append(await self.append(stream_id, expected_version, envelopes))
            except ConcurrencyConflict as conflict:
                results.append(conflict)
        return results

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[EventEnvelope]:
        result = []
        for envelope in self.streams.get(stream_id, [])[after_version:]:
            version, payload = upcast(envelope.event_type, envelope.schema_version, envelope.payload)
            if version != envelope.schema_version:
                envelope = envelope.model_copy(update={"schema_version": version, "payload": payload})
            result.append(envelope)
        return result

    async def current_version(self, stream_id: str) -> int:
        return len(self.streams.get(stream_id, []))

    def event_types(self, stream_id: str) -> list[str]:
        """Test convenience: the stream's event types in order."""
        return [envelope.event_type for envelope in self.streams.get(stream_id, [])]


class InMemoryClaims:
    def __init__(self) -> None:
        self.claims: dict[str, tuple[str, datetime]] = {}

    async def take(self, key: str, owner: str) -> str:
        held = self.claims.setdefault(key, (owner, datetime.now(timezone.utc)))
        return held[0]

    async def take_many(self, keys: Sequence[str], owner: str) -> dict[str, str]:
        return {key: await self.take(key, owner) for key in keys}

    async def rekey_many(self, changes: Sequence[tuple[str, str]], from_owner: str) -> None:
        for key, to_owner in changes:
            await self.rekey(key, from_owner, to_owner)

    async def release_many(self, keys: Sequence[str], owner: str) -> None:
        for key in keys:
            await self.release(key, owner)

    async def rekey(self, key: str, from_owner: str, to_owner: str) -> bool:
        held = self.claims.get(key)
        if held is None or held[0] != from_owner:
            return False
        self.claims[key] = (to_owner, held[1])
        return True

    async def release(self, key: str, owner: str) -> None:
        if key in self.claims and self.claims[key][0] == owner:
            del self.claims[key]

    async def release_all(self, owner: str, prefix: str = "") -> int:
        keys = [key for key, (held_by, _) in self.claims.items()
                if held_by == owner and re.match(re.escape(prefix), key)]
        for key in keys:
            del self.claims[key]
        return len(keys)

    async def release_if_stale(self, key: str, owner: str, older_than_seconds: float) -> bool:
        held = self.claims.get(key)
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
        if held is not None and held[0] == owner and held[1] < cutoff:
            del self.claims[key]
            return True
        return False

    async def owner_of(self, key: str) -> str | None:
        held = self.claims.get(key)
        return held[0] if held else None

    def age(self, key: str, seconds: float) -> None:
        """Test convenience: pretend the claim on ``key`` was taken ``seconds`` ago."""
        owner, at = self.claims[key]
        self.claims[key] = (owner, at - timedelta(seconds=seconds))
