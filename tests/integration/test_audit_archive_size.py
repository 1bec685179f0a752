"""The archive at city size: records as of a time for a division of more streams than one MongoDB answer can
name (``distinct`` over 210,000 ids of 80 characters is over the 16 MB document limit), inserted directly into a
collection of this run's namespace, with records that moved in and out of the division."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.audit.views.archive import records_as_of
from services.kernel.messaging.runtime import mongo_client

pytestmark = pytest.mark.integration
TOWN, ELSEWHERE = "532503101", "532503102"
STREAMS = 210_000
AT = datetime(2026, 10, 15, tzinfo=timezone.utc)


def event(stream_id: str, version: int, division: str, at: datetime = AT) -> dict:
    return {"_id": f"{stream_id}-v{version}", "stream_id": stream_id, "stream_type": "Person", "version": version,
            "event_type": "PersonRegistered", "schema_version": 1, "payload": {}, "division_code": division,
            "recorded_at": at, "actor": {"id": "GW-1"}, "correlation_id": "c"}


def stream_id(n: int) -> str:
    return f"person-{n:012d}-" + "x" * 60  # 80 characters: 210,000 of them are ~17 MB


async def test_records_as_of_a_division_of_more_streams_than_one_answer_can_name(settings):
    client = mongo_client(settings)
    collection = client[settings.database_name("audit")]["archive_size_probe"]
    try:
        await collection.create_index([("stream_id", 1), ("version", 1)], unique=True)
        await collection.create_index([("division_code", 1), ("recorded_at", -1)])
        batch = []
        for n in range(STREAMS):
            batch.append(event(stream_id(n), 1, TOWN))
            if len(batch) == 10_000:
                await collection.insert_many(batch, ordered=False)
                batch = []
        # moved in (registered elsewhere, moved here), moved out (registered here, moved away), moved in later
        moved_in, moved_out, later = "person-moved-in", "person-moved-out", "person-moved-in-later"
        batch += [event(moved_in, 1, ELSEWHERE), event(moved_in, 2, TOWN),
                  event(moved_out, 1, TOWN), event(moved_out, 2, ELSEWHERE),
                  event(later, 1, ELSEWHERE), event(later, 2, TOWN, AT + timedelta(days=30))]
        await collection.insert_many(batch, ordered=False)

        grouped = await records_as_of(collection, AT + timedelta(days=1), TOWN, ["Person"])

        assert len(grouped) == STREAMS + 1
        assert [d["version"] for d in grouped[moved_in]] == [1, 2]  # kept whole, counted where it is now
        assert moved_out not in grouped and later not in grouped
        assert stream_id(STREAMS - 1) in grouped
        elsewhere = await records_as_of(collection, AT + timedelta(days=1), ELSEWHERE, ["Person"])
        assert set(elsewhere) == {moved_out, later}
    finally:
        await collection.drop()
        await client.close()
