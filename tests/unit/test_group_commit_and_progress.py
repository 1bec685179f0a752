"""Pure logic of the append group commit (each append learns its own outcome) and the rebuild progress line."""

from __future__ import annotations

import asyncio
import io

from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.kernel.eventsourcing.eventstore import GroupCommit
from services.kernel.operations.progress import Progress


class FakeEvents:
    """insert_one/insert_many that fail the documents whose _id is in ``taken`` (like the unique index)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.calls: list[list[str]] = []
        self.gate = asyncio.Event()

    async def insert_one(self, document):
        self.calls.append([document["_id"]])
        await self.gate.wait()
        if document["_id"] in self.taken:
            raise DuplicateKeyError("E11000 duplicate key", 11000)

    async def insert_many(self, documents, ordered=True):
        self.calls.append([d["_id"] for d in documents])
        errors = [{"index": n, "code": 11000, "errmsg": "E11000 duplicate key"}
                  for n, d in enumerate(documents) if d["_id"] in self.taken]
        if errors:
            raise BulkWriteError({"writeErrors": errors, "writeConcernErrors": []})


async def test_appends_arriving_while_one_is_in_flight_go_together_and_fail_alone():
    events = FakeEvents(taken={"b"})
    group = GroupCommit(events)
    first = asyncio.create_task(group.insert({"_id": "a"}))
    await asyncio.sleep(0)  # "a" is in flight alone
    rest = [asyncio.create_task(group.insert({"_id": key})) for key in ("b", "c", "d")]
    await asyncio.sleep(0)
    events.gate.set()
    await first
    results = await asyncio.gather(*rest, return_exceptions=True)
    assert events.calls == [["a"], ["b", "c", "d"]], "one round trip for the three that waited"
    assert isinstance(results[0], DuplicateKeyError) and results[0].code == 11000, "only b conflicts"
    assert results[1:] == [None, None]


async def test_a_failure_of_the_whole_command_fails_every_waiting_append():
    class Down(FakeEvents):
        async def insert_many(self, documents, ordered=True):
            raise ConnectionError("database unreachable")

    events = Down(taken=set())
    events.gate.set()
    group = GroupCommit(events)
    waiting = [asyncio.create_task(group.insert({"_id": key})) for key in ("a", "b", "c")]
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert events.calls == [], "the one command never reached the (fake) server"
    assert all(isinstance(result, ConnectionError) for result in results), "none of them is acknowledged"


def test_progress_shows_done_total_rate_and_eta():
    out = io.StringIO()
    progress = Progress("rebuild test", 1000, stream=out, interval=0)
    progress.started -= 2.0  # two seconds in
    progress.advance(500)
    line = out.getvalue().rsplit("\r", 1)[-1]
    assert "500/1000" in line and "ev/s" in line and "ETA" in line
    rate = float(line.split("ev/s")[0].split()[-1])
    assert 200 <= rate <= 260
    progress.close()
    assert out.getvalue().endswith("\n")
