"""The audit archive at size: bytes per archived event (BSON, and on disk with indexes) per kind, and the
archive's replay rate through the real ProjectionRunner beside a plain bulk insert of the same documents.

    .venv/bin/python -m bench.archive_size [--events 20000]

Writes bench/results/archive_size.json. The events are synthetic but shaped like the platform's (a person's
registration carries name, ID number, phone, 户籍地, 服务处所 and category details; an access entry the route and
lookup of a read). ``--before REF`` also replays with the archive module of a git revision (e.g. the one that
copied access entries into the events collection) for a before/after figure.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import bson

from bench.common import RESULTS, ROOT
from contracts.access import ACCESS_STREAM_TYPE
from contracts.envelope import Actor, EventEnvelope
from services.kernel.messaging.batching import BatchLimits
from services.kernel.messaging.projection import physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.runtime import mongo_client
from services.kernel.base.settings import get_settings
from tests.load_stream import Record

TOWN = "532503001"
POLICE = Actor(id="PC-0001", role="police", organisation_code="532503001", channel="app", client_ip="10.20.30.40")
REPLAY = BatchLimits(max_events=5000, max_bytes=16 * 1024 * 1024, max_seconds=4.0)


def person(n: int) -> dict:
    pid = f"{uuid.UUID(int=n).hex[:16]}"
    return {"person_id": pid, "document_type": "id_card", "document_number": f"53250319{80 + n % 20}0101{n % 10000:04d}",
            "name": "李建华", "former_names": [], "sex": "male", "birth_date": "1985-01-01", "ethnicity": "01",
            "phone": "+8613912345678", "household_registration": {
                "division_code": "532503001", "address": "云南省红河哈尼族彝族自治州蒙自市文澜街道天马路18号"},
            "education": "20", "marital_status": "20", "occupation": "个体经营", "employer": {
                "name": "蒙自天马宾馆", "address": "蒙自市文澜街道天马路20号"}, "photo_ref": None,
            "category": "migrant", "details": {"registration_valid_until": "2027-06-30", "residence_reason": "务工",
                                               "origin_division_code": "530102"},
            "legacy_import": False, "logic_errors": [], "division_code": TOWN}


def shapes(n: int) -> list[tuple[str, str, str, dict]]:
    """(kind, stream type, event type, payload) of a record's typical events."""
    plate = f"{TOWN}41{n:013d}"
    house, unit = f"H{n:08d}", f"U{n:08d}"
    return [
        ("person", "Person", "PersonRegistered", person(n)),
        ("person", "Person", "ResidenceRegistered", {"person_id": uuid.UUID(int=n).hex[:16], "address_code": plate,
                                                     "moved_in": "2026-10-01", "reason": "务工", "division_code": TOWN}),
        ("house", "House", "HouseRegistered", {"house_id": house, "address_code": plate, "address_kind": "doorplate",
                                               "division_code": TOWN, "property_nature": "private", "use": "rented",
                                               "owner": {"name": "王秀英", "document_number": "532503196502021234",
                                                         "phone": "+8613887654321"}, "area_m2": 86.5}),
        ("house", "House", "RentalStarted", {"house_id": house, "rental_id": "R1", "lessor": {"name": "王秀英"},
                                             "lessor_role": "owner", "rooms_let": 2, "start": "2026-10-01",
                                             "security_person": {"name": "王秀英", "phone": "+8613887654321"}}),
        ("unit", "Unit", "UnitRegistered", {"unit_id": unit, "name": "蒙自天马宾馆", "uscc": "92532503MA6K000000",
                                            "unit_type": "individual_business", "industry_code": "H61",
                                            "address_code": plate, "division_code": TOWN, "opened_on": "2020-05-01",
                                            "legal_representative": {"name": "张伟", "phone": "+8613700000000"}}),
        ("unit", "Unit", "UnitInspected", {"unit_id": unit, "inspection_id": "I1", "inspected_on": "2026-10-03",
                                           "inspectors": ["PC-0001", "PC-0002"], "findings": "消防通道堵塞",
                                           "rectification_required": True, "rectification_deadline": "2026-10-10"}),
        ("address", "Doorplate", "DoorplateRegistered", {"code": plate, "division_code": TOWN, "place_code": "P",
                                                         "place_name": "天马路", "number": f"{n}号",
                                                         "location": {"type": "Point", "coordinates": [103.38, 23.37]}}),
        ("access", ACCESS_STREAM_TYPE, "RecordAccessed", {"context": "person", "record_type": "person",
                                                      "record_id": uuid.UUID(int=n).hex[:16],
                                                      "route": "/v1/persons/{person_id}", "method": "GET",
                                                      "lookup": {}, "result_count": 1, "outcome": "read",
                                                      "records": []}),
    ]


def envelopes(count: int, run: str, reads: int = 1) -> list[EventEnvelope]:
    """``count`` events: per record one of each domain shape and ``reads`` access entries (the city's mix is about
    15 reads per change: docs/DEPLOYMENT.md, 700,000 a day beside 45,000), recent (inside the retention)."""
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    result = []
    for n in range(count // (7 + reads) + 1):
        for kind, stream_type, event_type, payload in shapes(n)[:-1] + shapes(n)[-1:] * reads:
            stream = f"{kind}-{run}-{n}" if kind != "access" else f"access-{uuid.uuid4()}"
            version = 2 if event_type in ("ResidenceRegistered", "RentalStarted", "UnitInspected") else 1
            result.append(EventEnvelope(event_type=event_type, stream_id=stream, stream_type=stream_type,
                                        version=version, occurred_at=now, recorded_at=now, actor=POLICE,
                                        correlation_id=f"bench-{run}", division_code=TOWN, payload=payload))
    # streams start at version 1: a second event follows its first in the same stream
    fixed = []
    for envelope in result:
        if envelope.version == 2:
            fixed.append(envelope.model_copy(update={"stream_id": fixed[-1].stream_id}))
        else:
            fixed.append(envelope)
    return fixed[:count]


def load_archive(before: str | None):
    """The archive module: the working tree's, or the one of a git revision (for before/after)."""
    if before is None:
        from services.audit import archive
        return archive
    source = subprocess.run(["git", "show", f"{before}:services/audit/archive.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"archive_{before}", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, f"archive@{before}", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module


async def stats(db, name: str) -> dict:
    raw = await db.command({"collStats": name})
    return {"count": raw.get("count"), "size": raw.get("size"), "storage": raw.get("storageSize"),
            "indexes": raw.get("totalIndexSize")}


async def replay(settings, module, events: list[EventEnvelope], label: str) -> dict:
    client = mongo_client(settings)
    db = client[f"{settings.namespace}_benchaudit_{label}"]
    await client.drop_database(db.name)
    runner = ProjectionRunner(module.archive, client, db, None, settings.namespace, generation=1, limits=REPLAY)
    runner.memory = {}
    for logical in module.archive.collections:
        await db.create_collection(physical_name(logical, 1))
    await runner.ensure_indexes()
    records = [Record(e.to_bytes(), e.stream_id.encode(), [], "bench", 0, i) for i, e in enumerate(events)]
    started = time.perf_counter()
    done = 0
    while done < len(records):
        done += await runner.apply_batch(records[done:])
    seconds = time.perf_counter() - started
    sizes = {logical: await stats(db, physical_name(logical, 1)) for logical in module.archive.collections}
    await client.drop_database(db.name)
    await client.close()
    return {"events": len(events), "seconds": round(seconds, 2), "events_per_s": round(len(events) / seconds),
            "round_trips": runner.round_trips, "collections": sizes}


async def raw_baseline(settings, module, events: list[EventEnvelope]) -> dict:
    """The same documents, bulk-inserted 5,000 at a time into collections with the same indexes."""
    client = mongo_client(settings)
    db = client[f"{settings.namespace}_benchaudit_raw"]
    await client.drop_database(db.name)
    targets = {}
    for logical, keys, options in module.archive.indexes:
        await db[logical].create_index(keys, **options)
    for envelope in events:
        access = envelope.stream_type == ACCESS_STREAM_TYPE and "access" in module.archive.collections
        targets.setdefault("access" if access else "events", []).append(module.archived(envelope, TOWN))
    started = time.perf_counter()
    for name, documents in targets.items():
        for start in range(0, len(documents), 5000):
            await db[name].insert_many(documents[start:start + 5000], ordered=False)
    seconds = time.perf_counter() - started
    await client.drop_database(db.name)
    await client.close()
    return {"events": len(events), "seconds": round(seconds, 2), "events_per_s": round(len(events) / seconds)}


def bson_sizes(module, events: list[EventEnvelope]) -> dict:
    sizes: dict[str, list[int]] = {}
    for envelope in events:
        kind = envelope.stream_type
        sizes.setdefault(kind, []).append(len(bson.encode(module.archived(envelope, TOWN))))
    return {kind: round(sum(values) / len(values)) for kind, values in sizes.items()}


async def main(count: int, before: str | None, reads: int) -> dict:
    settings = get_settings()
    events = envelopes(count, uuid.uuid4().hex[:8], reads)
    module = load_archive(None)
    result = {"events": count, "reads_per_record": reads, "bson_bytes_per_event": bson_sizes(module, events),
              "replay": await replay(settings, module, events, "now"),
              "raw_bulk_insert": await raw_baseline(settings, module, events)}
    result["replay_vs_raw"] = round(result["replay"]["events_per_s"] / result["raw_bulk_insert"]["events_per_s"], 2)
    if before:
        result["before"] = {"revision": before, "replay": await replay(settings, load_archive(before), events, "before")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "archive_size.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--before", default=None, help="a git revision whose archive module to replay too")
    parser.add_argument("--reads", type=int, default=15, help="access entries per record (beside its 7 changes)")
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.events, arguments.before, arguments.reads)), indent=2,
                     ensure_ascii=False))
