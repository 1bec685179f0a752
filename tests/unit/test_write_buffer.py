"""The batch write buffer: in-session writes are queued in order, a read flushes first, others pass through."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bson.codec_options import CodecOptions
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


async def test_a_read_ahead_document_replaced_whole_is_answered_as_replaced_without_a_flush():
    """A projection that reads, evolves and replaces a record (the person registry) reads its own write back from
    memory, as the server would answer it; so is an update by _id the buffer follows ($set ...); one it does not
    follow ($addToSet) drops the entry (the next read flushes)."""
    log: list = []
    session = object()
    buffer = WriteBuffer(session)
    fake = FakeCollection("persons", log)
    fake.codec_options = CodecOptions(tz_aware=True)
    persons = BufferedCollection(fake, buffer)
    buffer.read_ahead("persons", {"P1": {"_id": "P1", "v": 1}, "P2": None})
    at = datetime(2026, 12, 3, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    await persons.replace_one({"_id": "P1"}, {"v": 2, "at": at, "steps": ("a",)}, session=session)
    await persons.replace_one({"_id": "P2"}, {"v": 1}, upsert=True, session=session)
    assert await persons.find_one({"_id": "P1"}, session=session) == {
        "_id": "P1", "v": 2, "at": datetime(2026, 12, 3, 10, 0, 0, 123000, tzinfo=timezone.utc), "steps": ["a"]}
    assert await persons.find_one({"_id": "P2"}, session=session) == {"_id": "P2", "v": 1} and log == []
    await persons.update_one({"_id": "P1"}, {"$set": {"v": 3}}, session=session)
    assert (await persons.find_one({"_id": "P1"}, session=session))["v"] == 3 and log == []
    await persons.update_one({"_id": "P1"}, {"$addToSet": {"steps": "b"}}, session=session)
    await persons.find_one({"_id": "P1"}, session=session)
    assert [entry[0] for entry in log] == ["bulk", "find_one"]


async def test_a_document_read_once_or_written_whole_is_known_for_the_rest_of_the_batch():
    """The second event of a person in a batch (a move-in after the registration) reads its document from memory:
    once read from the server, or inserted/replaced whole, a document by _id is known; a projection is applied;
    a write by another filter, or one outside the session, forgets the collection."""
    log: list = []
    session = object()
    buffer = WriteBuffer(session)
    persons = BufferedCollection(FakeCollection("persons", log), buffer)
    await persons.find_one({"_id": "P1"}, session=session)
    await persons.update_one({"_id": "P1"}, {"$set": {"a": {"b": 1}}, "$push": {"steps": 1}}, session=session)
    assert await persons.find_one({"_id": "P1"}, {"a.b": 1}, session=session) == {"_id": "P1", "a": {"b": 1}}
    await persons.insert_one({"_id": "P2", "x": 1}, session=session)
    assert await persons.find_one({"_id": "P2"}, {"x": 0}, session=session) == {"_id": "P2"}
    assert [entry[0] for entry in log] == ["find_one"], "one read, the rest from memory"
    await persons.update_many({"x": 1}, {"$set": {"y": 2}}, session=session)
    await persons.find_one({"_id": "P2"}, session=session)
    assert [entry[0] for entry in log] == ["find_one", "bulk", "find_one"]
    await persons.find_one({"_id": "P2"}, session=session)
    assert len(log) == 3, "known again after the read"


async def test_a_read_the_batch_cannot_answer_goes_to_the_server():
    log: list = []
    session = object()
    buffer = WriteBuffer(session)
    fake = FakeCollection("persons", log)
    persons = BufferedCollection(fake, buffer)
    buffer.read_ahead("persons", {"P1": {"_id": "P1", "v": 1}})
    await persons.find_one({"_id": "P1"})  # not in the batch's session
    await persons.find_one({"_id": {"$in": ["P1"]}}, session=session)
    assert [entry[2] for entry in log] == [{"_id": "P1"}, {"_id": {"$in": ["P1"]}}]
