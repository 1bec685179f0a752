"""``ybss relay parked list|republish``: what the relay parked, and handing it back once it fits.

Republishing checks each parked event against the topic's limit as the broker states it now: one that fits
is released to the relay (the relay stays the only publisher, fenced by its lease) and the command waits until
the relay has published it; one that still does not fit stays parked and is named with its size and the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from contracts.contexts import names as context_names


def register(relay: argparse.ArgumentParser) -> None:
    actions = relay.add_subparsers(dest="relay_command")
    parked = actions.add_parser("parked", help="events the relay parked (too large for Kafka): list or republish")
    parked.add_argument("action", choices=("list", "republish"))
    parked.add_argument("--context", required=True, help=" | ".join(context_names()))
    parked.add_argument("--relay", help="which relay of the context: its events (default, the context's name), "
                        "<context>-access (its access log), person-alerts (person's alerts)")
    parked.add_argument("--event", action="append", help="republish only this event id (repeatable)")
    parked.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the relay to publish")
    parked.set_defaults(func=cmd_relay_parked)


def cmd_relay_parked(args: argparse.Namespace) -> int:
    rows = asyncio.run(_parked(args))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, default=str))
    if not rows:
        print("nothing parked", file=sys.stderr)
    return 1 if any(row.get("status") == "still_too_large" for row in rows) else 0


async def _parked(args: argparse.Namespace) -> list[dict]:
    from services.kernel.messaging.parking import ParkingLot, TopicLimit, stored_record
    from services.kernel.messaging.runtime import mongo_client
    from services.kernel.base.settings import get_settings

    settings = get_settings()
    client = mongo_client(settings)
    try:
        db = client[settings.database_name(args.context)]
        lot = ParkingLot(db, args.relay or args.context)
        parked = [row for row in await lot.list() if not args.event or row["_id"] in args.event]
        if args.action == "list":
            return [{key: row.get(key) for key in ("_id", "stream_id", "version", "event_type", "reason", "bytes",
                                                    "limit_bytes", "error", "parked_at")} for row in parked]
        if not parked:
            return []
        # one relay publishes one outbox collection to one topic; each parked event names both
        events, topic = db[parked[0].get("outbox", "events")], parked[0]["topic"]
        limit = await TopicLimit(settings.kafka_client_options(), topic)()
        rows, released = [], []
        for row in parked:
            document = await events.find_one({"_id": row["_id"]})
            size = stored_record(document)[3]
            fits = size <= limit
            rows.append({"event_id": row["_id"], "stream_id": row["stream_id"], "bytes": size, "limit_bytes": limit,
                         "status": "released" if fits else "still_too_large"})
            if fits:
                released.append(row["_id"])
        await lot.release(released)
        published = await _wait_published(events, released, args.wait)
        for row in rows:
            if row["event_id"] in published:
                row["status"] = "published"
        return rows
    finally:
        await client.close()


async def _wait_published(events, event_ids: list[str], seconds: float) -> set[str]:
    """The released events the relay has published within ``seconds`` (a relay must be running)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        done = {row["_id"] async for row in events.find({"_id": {"$in": event_ids}, "published": True}, {"_id": 1})}
        if len(done) == len(event_ids) or asyncio.get_running_loop().time() > deadline:
            return done
        await asyncio.sleep(0.5)
