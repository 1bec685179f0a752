"""What a batch answers from memory is what the server answers (services.kernel.messaging.known_documents).

The same random writes (updates by _id with $set/$unset/$push/$inc/$setOnInsert on top-level and dotted paths,
replacements, inserts, deletes, upserts, now and then an update by another filter) go once through a batch's
write buffer inside a transaction, reading each document back after every write (from memory where the batch
knows it), and once straight to the server one at a time, reading back from it. Every read answers the same
document in the same field order, and the two collections end byte for byte equal (the buffer merges a
document's writes into one and sends an upsert of a document known not to exist as an insert).
"""

from __future__ import annotations

import random
import uuid

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne

from services.kernel.messaging.runtime import mongo_client
from services.kernel.messaging.writebuffer import BufferedCollection, WriteBuffer

IDS = [f"P{n}" for n in range(6)]
FIELDS = ["name", "b", "a", "person.status", "person.division_code", "houses.H1", "houses.H2", "zeta"]


def random_update(rng: random.Random) -> dict:
    update: dict = {}
    for path in rng.sample(FIELDS, rng.randint(1, 3)):
        operator = rng.choice(["$set", "$set", "$unset", "$setOnInsert", "$push", "$inc"])
        if operator == "$push":
            path = rng.choice(["steps", "events"])
        elif operator == "$inc":
            path = rng.choice(["count", "person.visits"])
        if any(path in fields or any(path.startswith(f"{other}.") or other.startswith(f"{path}.") for other in fields)
               for fields in update.values()):
            continue  # the server refuses two operators on one path
        value = {"$set": lambda: rng.choice([1, "文", {"z": 1, "a": [1, 2]}, None]), "$unset": lambda: "",
                 "$setOnInsert": lambda: rng.randint(0, 9), "$push": lambda: {"n": rng.randint(0, 9)},
                 "$inc": lambda: rng.randint(1, 3)}[operator]()
        update.setdefault(operator, {})[path] = value
    return update


def random_write(rng: random.Random) -> object:
    key = rng.choice(IDS)
    kind = rng.choices(["update", "replace", "insert", "delete", "other"], [10, 3, 1, 1, 1])[0]
    if kind == "update":
        return UpdateOne({"_id": key}, random_update(rng), upsert=rng.random() < 0.8)
    if kind == "replace":
        return ReplaceOne({"_id": key}, {"name": rng.choice(["甲", "乙"]), "person": {"status": "active"}},
                          upsert=rng.random() < 0.8)
    if kind == "insert":
        return InsertOne({"_id": f"N{rng.randint(0, 10**9)}", "name": "新"})
    if kind == "delete":
        return DeleteOne({"_id": key})
    return UpdateMany({"name": "甲"}, {"$set": {"flag": True}})


async def applied_directly(collection, operation) -> None:
    await collection.bulk_write([operation], ordered=True)


async def test_a_batch_answers_every_read_as_the_server_and_stores_the_same_documents(settings):
    client = mongo_client(settings)
    db = client[settings.database_name(f"known{uuid.uuid4().hex[:6]}")]
    try:
        for seed in range(6):
            rng = random.Random(seed)
            batched, direct = db[f"batched{seed}"], db[f"direct{seed}"]
            start = [{"_id": key, "name": "甲", "person": {"status": "active"}, "count": 1} for key in IDS[:3]]
            await batched.insert_many(start)
            await direct.insert_many(start)
            writes = [random_write(rng) for _ in range(60)]
            answers: list = []
            async with client.start_session() as session:
                async with await session.start_transaction():
                    buffer = WriteBuffer(session)
                    found = {doc["_id"]: doc async for doc in batched.find({"_id": {"$in": IDS}}, session=session)}
                    buffer.read_ahead(batched.name, {key: found.get(key) for key in IDS}, batched.codec_options)
                    reader = BufferedCollection(batched, buffer)
                    for operation in writes:
                        await reader.bulk_write([operation], session=session)
                        key = _key(operation)
                        answers.append(await reader.find_one({"_id": key}, session=session))
                    await buffer.flush()
            rng = random.Random(seed)
            expected = []
            for operation in [random_write(rng) for _ in range(60)]:
                await applied_directly(direct, operation)
                expected.append(await direct.find_one({"_id": _key(operation)}))
            assert [_ordered(answer) for answer in answers] == [_ordered(answer) for answer in expected], seed
            raw = {"document_class": RawBSONDocument}
            stored = [doc.raw async for doc in batched.with_options(codec_options=batched.codec_options.with_options(
                **raw)).find({"_id": {"$in": IDS}}).sort("_id", 1)]
            wanted = [doc.raw async for doc in direct.with_options(codec_options=direct.codec_options.with_options(
                **raw)).find({"_id": {"$in": IDS}}).sort("_id", 1)]
            assert stored == wanted, f"seed {seed}: the stored documents differ"
    finally:
        await client.drop_database(db.name)
        await client.close()


def _key(operation):
    """The document read back after a write: the one it names (another filter's: a known one)."""
    where = getattr(operation, "_filter", None) or getattr(operation, "_doc", {})
    return where.get("_id") if "_id" in where else IDS[0]


def _ordered(document: dict | None) -> bytes | None:
    return bson.encode(document) if document is not None else None
