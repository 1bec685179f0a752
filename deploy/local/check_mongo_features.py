"""Check that the MongoDB-compatible server supports what ybss needs.

Uses pymongo's AsyncMongoClient (the driver the services use). Prints one
line per feature (PASS/FAIL with the error) and exits non-zero if a required
feature fails. Optional features (change streams) are reported but do not
fail the run.

    .venv/bin/python deploy/local/check_mongo_features.py [MONGODB_URI]
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
import uuid

from pymongo import ASCENDING, GEOSPHERE, AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

DEFAULT_URI = "mongodb://127.0.0.1:27017/?replicaSet=secantus"

results: list[tuple[str, bool, bool, str]] = []  # name, ok, required, detail


def record(name: str, ok: bool, detail: str = "", required: bool = True) -> None:
    results.append((name, ok, required, detail))
    tag = "PASS" if ok else ("FAIL" if required else "WARN")
    print(f"{tag:4}  {name}{(': ' + detail) if detail else ''}", flush=True)


async def check(name: str, coro, required: bool = True) -> None:
    try:
        detail = await coro
        record(name, True, detail or "", required)
    except Exception as exc:  # noqa: BLE001 - we report every failure
        record(name, False, f"{type(exc).__name__}: {exc}", required)
        if os.environ.get("VERBOSE"):
            traceback.print_exc()


async def main(uri: str) -> int:
    client: AsyncMongoClient = AsyncMongoClient(uri, serverSelectionTimeoutMS=5000)
    db = client[f"featcheck_{uuid.uuid4().hex[:8]}"]
    try:
        await check("ping", _ping(client))
        await check("hello reports replica set 'secantus'", _hello(client))
        await check("unique compound index (stream_id, version) -> DuplicateKeyError", _unique(db))
        await check("multi-document transaction commit", _txn_commit(client, db))
        await check("multi-document transaction abort rolls back", _txn_abort(client, db))
        await check("DuplicateKeyError inside a transaction aborts it", _txn_dup(client, db))
        await check("concurrent txns appending the same (stream_id, version): one wins", _txn_race(client, db))
        await check("concurrent txns updating one doc: WriteConflict (TransientTransactionError)", _txn_write_conflict(client, db))
        await check("find_one_and_update (upsert, $inc, ReturnDocument.AFTER)", _foau(db))
        await check("2dsphere index + $near", _near(db))
        await check("$geoWithin $box", _geowithin_box(db))
        await check("$geoWithin $geometry Polygon", _geowithin_polygon(db))
        await check("aggregate $match/$group/$sort", _aggregate(db))
        await check("change stream sees an insert", _change_stream(db), required=False)
    finally:
        try:
            await client.drop_database(db.name)
        finally:
            await client.close()
    failed = [r for r in results if not r[1] and r[2]]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


async def _ping(client):
    res = await client.admin.command("ping")
    assert res.get("ok") == 1, res
    return ""


async def _hello(client):
    res = await client.admin.command("hello")
    assert res.get("setName") == "secantus", res
    assert res.get("isWritablePrimary") is True, res
    return f"maxWireVersion={res.get('maxWireVersion')}"


async def _unique(db):
    coll = db.events
    await coll.create_index([("stream_id", ASCENDING), ("version", ASCENDING)], unique=True)
    await coll.insert_one({"stream_id": "s1", "version": 1})
    await coll.insert_one({"stream_id": "s1", "version": 2})
    await coll.insert_one({"stream_id": "s2", "version": 1})
    try:
        await coll.insert_one({"stream_id": "s1", "version": 1})
    except DuplicateKeyError as exc:
        assert exc.code == 11000, exc.code
        return "code 11000"
    raise AssertionError("duplicate (stream_id, version) accepted")


async def _txn_commit(client, db):
    a, b = db.txa, db.txb
    await a.insert_one({"_id": "seed"})  # collections exist before the txn
    await b.insert_one({"_id": "seed"})
    async with client.start_session() as s:
        async with await s.start_transaction():
            await a.insert_one({"_id": 1}, session=s)
            await b.insert_one({"_id": 1}, session=s)
            # read-your-own-writes inside the txn, invisible outside
            assert await a.find_one({"_id": 1}, session=s) is not None
            assert await a.find_one({"_id": 1}) is None, "uncommitted write visible outside txn"
    assert await a.find_one({"_id": 1}) is not None
    assert await b.find_one({"_id": 1}) is not None
    return ""


async def _txn_abort(client, db):
    a = db.txa
    async with client.start_session() as s:
        await s.start_transaction()
        await a.insert_one({"_id": 2}, session=s)
        await s.abort_transaction()
    assert await a.find_one({"_id": 2}) is None
    return ""


async def _txn_dup(client, db):
    coll = db.events
    async with client.start_session() as s:
        try:
            async with await s.start_transaction():
                await coll.insert_one({"stream_id": "s3", "version": 1}, session=s)
                await coll.insert_one({"stream_id": "s1", "version": 1}, session=s)  # dup
        except DuplicateKeyError:
            pass
        else:
            raise AssertionError("no DuplicateKeyError inside txn")
    assert await coll.find_one({"stream_id": "s3"}) is None, "partial txn write survived"
    return ""


async def _txn_race(client, db):
    coll = db.events
    s1, s2 = client.start_session(), client.start_session()
    try:
        await s1.start_transaction()
        await s2.start_transaction()
        await coll.insert_one({"stream_id": "race", "version": 1, "by": "s1"}, session=s1)
        err = None
        try:
            await coll.insert_one({"stream_id": "race", "version": 1, "by": "s2"}, session=s2)
        except OperationFailure as exc:  # DuplicateKeyError is a subclass
            err = exc
        await s1.commit_transaction()
        if err is None:
            try:
                await s2.commit_transaction()
            except OperationFailure as exc:
                err = exc
        else:
            if s2.in_transaction:
                await s2.abort_transaction()
        docs = [d async for d in coll.find({"stream_id": "race"})]
        assert len(docs) == 1 and docs[0]["by"] == "s1", docs
        assert err is not None, "both appends succeeded"
        return f"loser got code {err.code} {type(err).__name__} labels={sorted(getattr(err, '_error_labels', []) or [])}"
    finally:
        await s1.end_session()
        await s2.end_session()


async def _txn_write_conflict(client, db):
    coll = db.heads
    await coll.insert_one({"_id": "h", "v": 0})
    s1, s2 = client.start_session(), client.start_session()
    try:
        await s1.start_transaction()
        await s2.start_transaction()
        await coll.update_one({"_id": "h"}, {"$inc": {"v": 1}}, session=s1)
        try:
            await coll.update_one({"_id": "h"}, {"$inc": {"v": 10}}, session=s2)
        except OperationFailure as exc:
            assert exc.code == 112, exc.details
            assert exc.has_error_label("TransientTransactionError"), exc.details
        else:
            raise AssertionError("second concurrent update did not conflict")
        await s1.commit_transaction()
        doc = await coll.find_one({"_id": "h"})
        assert doc["v"] == 1, doc
        return ""
    finally:
        await s1.end_session()
        await s2.end_session()


async def _foau(db):
    c = db.counters
    doc = await c.find_one_and_update(
        {"_id": "seq"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert doc == {"_id": "seq", "n": 1}, doc
    doc = await c.find_one_and_update(
        {"_id": "seq"}, {"$inc": {"n": 5}}, return_document=ReturnDocument.AFTER
    )
    assert doc["n"] == 6, doc
    before = await c.find_one_and_update({"_id": "seq"}, {"$set": {"x": 1}})
    assert "x" not in before, before
    return ""


async def _geo_seed(db):
    c = db.places
    if await c.estimated_document_count() == 0:
        await c.create_index([("loc", GEOSPHERE)])
        await c.insert_many(
            [
                {"_id": "a", "loc": {"type": "Point", "coordinates": [116.397, 39.909]}},  # Beijing
                {"_id": "b", "loc": {"type": "Point", "coordinates": [116.400, 39.912]}},  # ~400 m
                {"_id": "c", "loc": {"type": "Point", "coordinates": [121.473, 31.230]}},  # Shanghai
            ]
        )
    return c


async def _near(db):
    c = await _geo_seed(db)
    q = {
        "loc": {
            "$near": {
                "$geometry": {"type": "Point", "coordinates": [116.397, 39.909]},
                "$maxDistance": 1000,
            }
        }
    }
    ids = [d["_id"] async for d in c.find(q)]
    assert ids == ["a", "b"], ids
    return ""


async def _geowithin_box(db):
    c = await _geo_seed(db)
    q = {"loc": {"$geoWithin": {"$box": [[116.0, 39.5], [117.0, 40.5]]}}}
    ids = sorted([d["_id"] async for d in c.find(q)])
    assert ids == ["a", "b"], ids
    return ""


async def _geowithin_polygon(db):
    c = await _geo_seed(db)
    poly = {
        "type": "Polygon",
        "coordinates": [[[116.0, 39.5], [117.0, 39.5], [117.0, 40.5], [116.0, 40.5], [116.0, 39.5]]],
    }
    ids = sorted([d["_id"] async for d in c.find({"loc": {"$geoWithin": {"$geometry": poly}}})])
    assert ids == ["a", "b"], ids
    return ""


async def _aggregate(db):
    c = db.events
    cur = await c.aggregate(
        [{"$match": {"stream_id": {"$in": ["s1", "s2"]}}},
         {"$group": {"_id": "$stream_id", "n": {"$sum": 1}}},
         {"$sort": {"_id": 1}}]
    )
    rows = [r async for r in cur]
    assert rows == [{"_id": "s1", "n": 2}, {"_id": "s2", "n": 1}], rows
    return ""


async def _change_stream(db):
    c = db.cs
    await c.insert_one({"_id": "seed"})
    async with await c.watch(max_await_time_ms=500) as stream:
        await c.insert_one({"_id": "x"})
        for _ in range(20):
            change = await stream.try_next()
            if change is not None:
                assert change["operationType"] == "insert", change
                assert change["documentKey"] == {"_id": "x"}, change
                return ""
    raise AssertionError("no change event within ~10 s")


if __name__ == "__main__":
    uri = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MONGODB_URI", DEFAULT_URI)
    try:
        sys.exit(asyncio.run(main(uri)))
    except OperationFailure as exc:
        print(f"FAIL  {exc}")
        sys.exit(1)
