"""Small insert/update/transaction benchmark for a MongoDB-compatible server.

Workload per run (fresh database each run):
  1. N single-document inserts into `events` that carries a unique compound
     index (stream_id, version) -- the event-store append path;
  2. N update_one calls ($set + $inc by _id) on a `projections` collection
     seeded with N docs by one insert_many (not timed);
  3. N/10 multi-document transactions of 10 inserts each (events) plus one
     find_one_and_update on a `streams` head document -- an append batch.

Prints per-phase seconds for each run and the median of RUNS runs.

    .venv/bin/python deploy/local/bench_mongo.py [--uri URI] [-n 2000] [--runs 3] [--label py]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

from pymongo import ASCENDING, MongoClient, ReturnDocument

DEFAULT_URI = "mongodb://127.0.0.1:27017/?replicaSet=secantus"


def one_run(client: MongoClient, n: int) -> dict[str, float]:
    db = client[f"bench_{uuid.uuid4().hex[:8]}"]
    try:
        events = db.events
        events.create_index([("stream_id", ASCENDING), ("version", ASCENDING)], unique=True)
        proj = db.projections
        proj.insert_many([{"_id": i, "count": 0, "name": ""} for i in range(n)])
        streams = db.streams
        streams.insert_one({"_id": "head", "version": 0})

        t0 = time.perf_counter()
        for i in range(n):
            events.insert_one({"stream_id": f"s{i % 100}", "version": i // 100, "type": "Created",
                               "data": {"i": i, "name": f"name-{i}"}})
        t1 = time.perf_counter()
        for i in range(n):
            proj.update_one({"_id": i}, {"$set": {"name": f"n{i}"}, "$inc": {"count": 1}})
        t2 = time.perf_counter()
        base = n // 100 + 1
        for b in range(n // 10):
            with client.start_session() as s:
                with s.start_transaction():
                    events.insert_many(
                        [{"stream_id": f"t{b}", "version": base + k, "type": "Batch"} for k in range(10)],
                        session=s,
                    )
                    streams.find_one_and_update({"_id": "head"}, {"$inc": {"version": 10}},
                                                return_document=ReturnDocument.AFTER, session=s)
        t3 = time.perf_counter()
        assert events.count_documents({}) == n + (n // 10) * 10
        assert streams.find_one({"_id": "head"})["version"] == (n // 10) * 10
        return {"insert": t1 - t0, "update": t2 - t1, "txn": t3 - t2, "total": t3 - t0}
    finally:
        client.drop_database(db.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", default=DEFAULT_URI)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    client: MongoClient = MongoClient(args.uri, serverSelectionTimeoutMS=5000)
    runs = []
    for r in range(args.runs):
        res = one_run(client, args.n)
        runs.append(res)
        print(f"run {r + 1}: " + "  ".join(f"{k}={v:.2f}s" for k, v in res.items()), flush=True)
    med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
    print(f"median ({args.label or args.uri}, n={args.n}): "
          + "  ".join(f"{k}={v:.2f}s" for k, v in med.items()))
    print(f"  = {args.n / med['insert']:.0f} inserts/s, {args.n / med['update']:.0f} updates/s, "
          f"{(args.n // 10) / med['txn']:.0f} txns/s (10 docs each)")
    print("JSON " + json.dumps({"label": args.label, "n": args.n, "median": med, "runs": runs}))
    client.close()


if __name__ == "__main__":
    main()
