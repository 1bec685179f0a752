"""Issue 16, "no request can stop a service": oversized bodies and fields, a spreadsheet whose used range is the
whole sheet, and an agency forging another agency's batch or a malformed row header — each answered with a clear
413/422 or a rejection naming the rule, while the service keeps answering and the gate keeps flowing.

(The relay's parking lot has its own file: test_relay_parking.py.)
"""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack

import pytest

from contracts.ingest import agency_topic
from services.ingest.consumers import BATCH_RECORDS, record_reply
from tests.handmade_xlsx import cell, workbook
from tests.integration.test_ingest_gate import Agency, bearer, person_fields, started

CIVIL = "mz-civil-affairs"  # agency A
GRID = "wl-grid-app"  # agency B
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLICE = bearer("PC-0001", "police")


@pytest.fixture(scope="module")
async def services(settings):
    async with AsyncExitStack() as exits:
        clients = {name: await started(exits, name, name) for name in ("person", "ingest")}
        agency = Agency(CIVIL, settings)
        await agency.start()
        clients["agency"] = agency
        yield clients
        await agency.stop()


# bodies and fields ----------------------------------------------------------------------------------------------
async def test_a_body_over_a_megabyte_is_refused_413_naming_the_limit_chunked_or_not(services):
    person = services["person"]
    changes = {"remark": "x" * (1200 * 1024)}  # the 1.2 MB correction of the finding
    response = await person.post("/v1/persons/P-nobody/corrections", headers=POLICE,
                                 json={"expected_version": 1, "changes": changes, "reason_code": "01"})
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body.too_large"
    assert response.json()["detail"][0]["ctx"]["limit_bytes"] == 1024 * 1024

    async def chunks():
        yield b'{"expected_version": 1, "reason_code": "01", "changes": {"name": "'
        for _ in range(1300):
            yield b"x" * 1024
        yield b'"}}'

    chunked = await person.post("/v1/persons/P-nobody/corrections", content=chunks(),
                                headers={**POLICE, "Content-Type": "application/json"})
    assert chunked.status_code == 413 and chunked.json()["detail"][0]["ctx"]["limit_bytes"] == 1024 * 1024
    assert (await person.get("/healthz")).status_code == 200


async def test_a_batch_route_declares_more_than_a_megabyte_and_gets_it(services):
    """The ingest batch route takes up to 32 MB (an agency's 10,000 records): a 1.5 MB batch is read and judged
    by the gate's rules (422: one record over 64 KB, naming it), not cut off at the 1 MB default (a route declared inside an
    included router was once not found by the limit, so every agency batch over 1 MB was a 413)."""
    padded = [{"record_id": f"BIG-{index}", "entity_type": "person", "fields": {**person_fields(), "name": ""}}
              for index in range(1)]
    padded[0]["fields"]["remark"] = "x" * (1500 * 1024)
    response = await services["ingest"].post(f"/v1/ingest/{CIVIL}/batches", json={"records": padded},
                                             headers=bearer(CIVIL, "agency"))
    assert response.status_code == 422, response.text[:300]
    assert all(detail["type"] != "body.too_large" for detail in response.json()["detail"])
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["type"]) == (["body", "records", 0, "fields"], "record.too_large")


async def test_an_unbounded_field_is_refused_422_naming_the_field_and_the_limit(services):
    person = services["person"]
    long_value = await person.post("/v1/persons/P-nobody/corrections", headers=POLICE, json={
        "expected_version": 1, "changes": {"name": "张" * 600}, "reason_code": "01"})
    assert long_value.status_code == 422
    assert any(d["loc"][:3] == ["body", "changes", "name"] and d["type"] == "string_too_long"
               and d["ctx"]["max_length"] == "500" for d in long_value.json()["detail"]), long_value.text

    many = await person.post("/v1/persons/P-nobody/corrections", headers=POLICE, json={
        "expected_version": 1, "changes": {"former_names": ["李"] * 21}, "reason_code": "01"})
    assert many.status_code == 422
    assert any(d["type"] == "too_long" and d["loc"][:3] == ["body", "changes", "former_names"]
               for d in many.json()["detail"])


# spreadsheets ----------------------------------------------------------------------------------------------------
async def upload(ingest, data: bytes):
    return await ingest.post(f"/v1/ingest/{CIVIL}/imports", params={"entity_type": "person"}, content=data,
                             headers={**bearer(CIVIL, "agency"), "Content-Type": XLSX})


async def test_a_5_kb_sheet_whose_used_range_is_the_whole_sheet_is_refused_and_the_service_keeps_answering(services):
    ingest = services["ingest"]
    whole_sheet = workbook('<dimension ref="A1:XFD1048576"/><sheetData>'
                           f'<row r="1">{cell("A1", "记录编号")}</row>'
                           f'<row r="1048576">{cell("XFD1048576", "x")}</row></sheetData>')
    assert len(whole_sheet) < 5 * 1024
    response = await upload(ingest, whole_sheet)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "sheet.too_wide" and "XFD1048576" in response.json()["detail"][0]["msg"]

    no_dimension = workbook(f'<sheetData><row r="1">{cell("A1", "记录编号")}</row>'
                            f'<row r="1048576">{cell("A1048576", "x")}</row></sheetData>')
    too_long = await upload(ingest, no_dimension)
    assert too_long.status_code == 413 and too_long.json()["detail"][0]["type"] == "import.too_large"
    assert (await ingest.get("/healthz")).status_code == 200


# the gate's headers ----------------------------------------------------------------------------------------------
async def submit_batch(ingest, agency: str) -> str:
    records = [{"record_id": f"B-{uuid.uuid4().hex[:10]}", "entity_type": "person", "fields": person_fields()}]
    response = await ingest.post(f"/v1/ingest/{agency}/batches", json={"records": records},
                                 headers=bearer(agency, "agency"))
    assert response.status_code == 202, response.text
    return response.json()["batch_id"]


async def test_agency_a_naming_agency_b_s_batch_is_rejected_and_b_s_batch_is_untouched(services, settings):
    ingest, agency = services["ingest"], services["agency"]
    batch_b = await submit_batch(ingest, GRID)
    forged = f"A-{uuid.uuid4().hex[:10]}"
    await agency.producer.send_and_wait(
        agency_topic(CIVIL, settings.namespace), json.dumps({"record_id": forged, "entity_type": "person",
                                                             "fields": {"name": "伪造"}}).encode(),
        key=forged.encode(), headers=[("batch_id", batch_b.encode()), ("row", b"0")])
    answer = await agency.answer(forged)
    assert answer["status"] == "rejected" and answer["batch_id"] is None and answer["row"] is None
    assert answer["reasons"][0] == {**answer["reasons"][0], "field": "header.batch_id", "rule": "header.batch_not_yours"}
    status = (await ingest.get(f"/v1/ingest/batches/{batch_b}", headers=bearer(GRID, "agency"))).json()
    assert forged not in json.dumps(status, ensure_ascii=False), "agency A's record is not in B's batch"


async def test_a_reply_naming_another_agency_s_batch_is_not_written_into_it(services, settings):
    """The batch status also checks the owner: a reply on A's replies topic naming B's batch is skipped."""
    ingest = services["ingest"]
    batch_b = await submit_batch(ingest, GRID)
    db = ingest.fastapi.state.runtime.db

    class Message:
        topic, offset = f"{settings.namespace}.ingest.{CIVIL}.replies", 0
        value = json.dumps({"agency": CIVIL, "record_id": "A-forged", "status": "rejected", "batch_id": batch_b,
                            "row": 0}).encode()

    await record_reply(db, Message())
    assert await db[BATCH_RECORDS].find_one({"batch_id": batch_b, "record_id": "A-forged"}) is None


async def test_a_non_integer_row_header_is_answered_rejected_and_the_next_record_still_flows(services, settings):
    agency = services["agency"]
    bad, after = f"R-{uuid.uuid4().hex[:10]}", f"N-{uuid.uuid4().hex[:10]}"
    topic = agency_topic(CIVIL, settings.namespace)
    await agency.producer.send_and_wait(topic, json.dumps({"record_id": bad, "entity_type": "person",
                                                           "fields": person_fields()}).encode(),
                                        key=bad.encode(), headers=[("row", b"x")])
    await agency.producer.send_and_wait(topic, json.dumps({"record_id": after, "entity_type": "person",
                                                           "fields": {**person_fields(), "photo_ref": "x"}}).encode(),
                                        key=bad.encode())  # same key: same partition, behind the bad one
    rejected = await agency.answer(bad)
    assert rejected["status"] == "rejected"
    assert [r["rule"] for r in rejected["reasons"]] == ["header.row_invalid"]
    assert rejected["reasons"][0]["field"] == "header.row"
    following = await agency.answer(after)
    assert following["status"] == "rejected" and following["reasons"][0]["rule"] == "field.not_permitted"
