"""The batch write buffer: in-session writes are queued in order, a read flushes first, others pass through."""

from __future__ import annotations

from pymongo import InsertOne, UpdateOne

from services.kernel.messaging.writebuffer import BufferedCollection, WriteBuffer


class FakeCollection:
    def __init__(self, name: str, log: list) -> None:
        self.name = name
        self.log = log

    async def bulk_write(self, operations, ordered=True, session=None):
        self.log.append(("bulk", self.name, [type(op).__name__ for op in operations], session))

    async def insert_many(self, documents, session=None, **kwargs):
        self.log.append(("insert_many", self.name, len(documents), session))

    async def find_one(self, filter, session=None):
        self.log.append(("find_one", self.name, filter, session))
        return {"_id": filter["_id"]}


async def test_writes_queue_in_order_and_a_read_sees_them_flushed_first():
    log: list = []
    session = object()
    buffer = WriteBuffer(session)
    rooms, plates = (BufferedCollection(FakeCollection(name, log), buffer) for name in ("rooms", "plates"))
    assert await plates.update_one({"_id": 1}, {"$set": {"a": 1}}, upsert=True, session=session) is None
    await rooms.insert_one({"_id": "r1"}, session=session)
    await plates.replace_one({"_id": 2}, {"b": 2}, session=session)
    assert log == [], "nothing sent yet"
    await plates.find_one({"_id": 1}, session=session)
    assert log == [("bulk", "plates", ["UpdateOne", "ReplaceOne"], session),
                   ("bulk", "rooms", ["InsertOne"], session),
                   ("find_one", "plates", {"_id": 1}, session)]
    assert await buffer.flush() == 0, "a flush with nothing queued costs no round trip"


async def test_writes_outside_the_session_go_straight_to_the_server():
    log: list = []
    buffer = WriteBuffer(object())
    rooms = BufferedCollection(FakeCollection("rooms", log), buffer)
    await rooms.insert_many([{"_id": n} for n in range(3)])
    assert log == [("insert_many", "rooms", 3, None)] and buffer.queued == 0
    buffer.add(FakeCollection("x", log), InsertOne({}))
    buffer.add(FakeCollection("x", log), UpdateOne({}, {"$set": {}}))
    assert buffer.queued == 2 and await buffer.flush() == 1
