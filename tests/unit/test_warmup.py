"""Warming the read models (services/kernel/messaging/warmup.py): every collection is read once, and one that
cannot be read is skipped, never raised: warming saves the first reader a wait, it must not stop a service."""

from __future__ import annotations

import asyncio

from pymongo.errors import ServerSelectionTimeoutError

from services.kernel.messaging.warmup import warm


class Collection:
    def __init__(self, name: str, fails: bool = False) -> None:
        self.name, self.fails, self.reads = name, fails, []

    async def find_one(self, filter: dict, projection: dict) -> dict | None:
        self.reads.append((filter, projection))
        if self.fails:
            raise ServerSelectionTimeoutError("no server")
        return {"_id": 1}


def test_each_collection_is_read_once_and_a_failing_one_is_skipped():
    records, down, whereabouts = Collection("records__g2"), Collection("links__g2", fails=True), Collection("wa__g1")
    took = asyncio.run(warm([records, down, whereabouts]))
    assert sorted(took) == ["records__g2", "wa__g1"]
    assert records.reads == [({}, {"_id": 1})] and whereabouts.reads == [({}, {"_id": 1})] and len(down.reads) == 1
