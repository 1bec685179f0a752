"""历史数据导入 on the real stack: an agency's batch of hundreds of persons goes through the bulk path and is
answered record by record as the single registration answers, survives a registry stopping mid-batch with
every record applied exactly once, and every accepted person reaches every read model fed by person events."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from contextlib import AsyncExitStack

import pytest

from services.kernel.messaging.projection import physical_name
from services.kernel.messaging.generations import active_generation
from tests.integration.test_ingest_gate import CIVIL, POLICE, bearer, person_fields, record_id, started

pytestmark = pytest.mark.integration

AGENCY = bearer(CIVIL, "agency")
#: (service, projection) of every read model in these services fed by person events
READ_MODELS = (("person", "person-registry"), ("person", "person-whereabouts"), ("person", "person-watch"),
               ("house", "house-occupants"), ("unit", "unit-persons"))


@pytest.fixture(scope="module")
async def stack():
    async with AsyncExitStack() as exits:
        yield {name: await started(exits, name, name) for name in ("person", "house", "unit", "ingest")}


def unique_fields(taken: set[str], **overrides) -> dict:
    """A person whose number no other record of the test uses (the gate tests draw numbers at random)."""
    while True:
        fields = person_fields(**overrides)
        if fields["document_number"] not in taken:
            taken.add(fields["document_number"])
            return fields


async def submit(stack, records: list[dict]) -> dict:
    response = await stack["ingest"].post(f"/v1/ingest/{CIVIL}/batches", json={"records": records}, headers=AGENCY)
    assert response.status_code == 202, response.text
    return response.json()


async def answered(stack, batch: dict, timeout: float = 240.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        status = (await stack["ingest"].get(batch["status_url"], headers=AGENCY)).json()
        if status["done"]:
            return status
        await asyncio.sleep(0.5)
    raise AssertionError(f"batch never answered: {status}")


async def test_a_batch_is_answered_per_record_as_single_registrations_are_and_reaches_every_read_model(stack):
    taken: set[str] = set()
    registered = unique_fields(taken)
    first = await stack["person"].post("/v1/persons", json=registered, headers=POLICE)
    assert first.status_code == 201, first.text
    records = [{"record_id": record_id("L"), "entity_type": "person", "fields": unique_fields(taken)}
               for _ in range(300)]
    wrong = {  # index → the fields the single registration refuses, and how
        10: {**records[10]["fields"], "sex": "male"},  # contradicts the document number
        20: {**records[20]["fields"], "name": " "},
        30: {**records[30]["fields"], "ethnicity": "火星族"},
        40: {**records[40]["fields"], "division_code": "532503999"},
        50: registered,  # registered before the batch
        61: records[60]["fields"],  # the same number as record 60, in the same batch
    }
    for index, fields in wrong.items():
        records[index]["fields"] = dict(fields)

    status = await answered(stack, await submit(stack, records))

    assert status["accepted"] == 300 - len(wrong) and status["rejected"] == len(wrong), status
    refused = {row["record_id"]: row["reasons"] for row in status["rejected_records"]}
    # records 60 and 61 share a number: they travel on different partitions, so either may be the one refused
    pair = [records[60]["record_id"], records[61]["record_id"]]
    assert sum(record in refused for record in pair) == 1, (pair, sorted(refused))
    if pair[0] in refused:
        records[60], records[61] = records[61], records[60]
    for index, fields in wrong.items():
        single = await stack["person"].post("/v1/persons", json=fields, headers=POLICE)
        assert single.status_code in (409, 422), single.text
        body = single.json()
        rules = [body["type"]] if single.status_code == 409 else [item["type"] for item in body["detail"]]
        reasons = refused[records[index]["record_id"]]
        assert [reason["rule"] for reason in reasons] == rules, (index, reasons, body)
        assert all(reason["msg_zh"] for reason in reasons)

    accepted = {row["entity_id"] for row in status["accepted_records"]}
    assert len(accepted) == 300 - len(wrong)
    streams = [f"person-{person_id}" for person_id in accepted]
    deadline = asyncio.get_running_loop().time() + 120
    missing: dict[str, int] = {}
    while asyncio.get_running_loop().time() < deadline:
        missing = {}
        for service, projection in READ_MODELS:
            db = stack[service].fastapi.state.runtime.db
            checkpoints = db[physical_name(f"{projection}.checkpoints", await active_generation(db, projection))]
            seen = await checkpoints.count_documents({"_id": {"$in": streams}})
            if seen < len(streams):
                missing[projection] = len(streams) - seen
        if not missing:
            break
        await asyncio.sleep(1)
    assert not missing, missing
    for person_id in random.sample(sorted(accepted), 5):
        shown = await stack["person"].get(f"/v1/persons/{person_id}", headers=POLICE)
        assert shown.status_code == 200 and shown.json()["person_id"] == person_id


async def test_a_registry_stopping_mid_batch_leaves_every_record_applied_exactly_once(stack):
    taken: set[str] = set()
    stem = record_id("K")
    records = [{"record_id": f"{stem}-{i}", "entity_type": "person", "fields": unique_fields(taken)}
               for i in range(400)]
    async with AsyncExitStack() as exits:
        await started(exits, "person", "person2")  # a second replica takes partitions, then stops mid-batch
        batch = await submit(stack, records)
        db = stack["person"].fastapi.state.runtime.db
        for _ in range(600):
            if await db["events"].count_documents({"causation_id": {"$regex": f"^ingest:{CIVIL}:{stem}-"}}):
                break
            await asyncio.sleep(0.1)

    status = await answered(stack, batch)

    assert status["accepted"] == 400 and status["rejected"] == 0, status
    assert len({row["entity_id"] for row in status["accepted_records"]}) == 400
    caused = Counter([event["causation_id"].rsplit(":", 1)[0] async for event in db["events"].find(
        {"causation_id": {"$regex": f"^ingest:{CIVIL}:{stem}-"}, "event_type": "PersonRegistered"},
        {"causation_id": 1})])
    assert len(caused) == 400 and set(caused.values()) == {1}, caused.most_common(3)
