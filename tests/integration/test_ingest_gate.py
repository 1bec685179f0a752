"""Agency ingestion against the real Kafka and MongoDB: the gate, the registries' own rules, the answers.

An agency publishes on its topic and reads its replies topic, as it would in production; the address, person,
house, unit and ingest services run in-process. What the agency notices: accepted with the entity id and
version, rejected with every field and rule in both languages, a redelivery applied once, an update finding
the entity, a batch's progress, a free-text address linked or queued for a collector.
"""

from __future__ import annotations

import asyncio
import json
import random
from contextlib import AsyncExitStack
from datetime import date, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from asgi_lifespan import LifespanManager

from tests.identities import unique_id_number
from contracts.ingest import agency_topic, replies_topic
from services.ingest import addresses as ingest_addresses
from services.kernel.web.auth import mint_token
from services.replicas.address import lookup_address
from services.kernel.messaging.topics import ensure_topics
from tests.integration.address_helpers import read_doorplate, register_doorplate
from tests.integration.conftest import unique_name

pytestmark = pytest.mark.integration

CIVIL = "mz-civil-affairs"  # person, 532503
HOUSING = "mz-housing"  # house, 532503, auto-match ≥ 0.9
MARKET = "mz-market"  # unit, 532503
GRID = "wl-grid-app"  # everything, 532503001, never auto-matched


def bearer(sub: str, role: str, org: str = "532503") -> dict:
    return {"Authorization": "Bearer " + mint_token(sub, role, org)}


POLICE = bearer("PC-0001", "police")
COLLECTOR = bearer("GC-0001", "collector", "532503001")


async def started(stack: AsyncExitStack, module: str, name: str) -> httpx.AsyncClient:
    app = __import__(f"services.{module}.app", fromlist=["build_app"]).build_app()
    manager = await stack.enter_async_context(LifespanManager(app, startup_timeout=60, shutdown_timeout=120))
    client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app),
                                                               base_url=f"http://{name}"))
    client.fastapi = app
    return client


class Agency:
    """An agency's Kafka client: publishes records, reads every answer on its replies topic."""

    def __init__(self, agency: str, settings) -> None:
        self.agency, self.settings = agency, settings
        self.replies: dict[str, list[dict]] = {}
        self.producer = AIOKafkaProducer(**settings.kafka_client_options())
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        ns = self.settings.namespace
        topic = replies_topic(self.agency, ns)
        await ensure_topics(self.settings, [agency_topic(self.agency, ns), topic])
        await self.producer.start()
        # no group: every partition, from the beginning
        self.consumer = AIOKafkaConsumer(topic, **self.settings.kafka_client_options(), auto_offset_reset="earliest")
        await self.consumer.start()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.consumer:
            reply = json.loads(message.value)
            self.replies.setdefault(reply["record_id"], []).append(reply)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()
        await self.producer.stop()

    async def send(self, record: dict | bytes, key: str | None = None) -> None:
        value = record if isinstance(record, bytes) else json.dumps(record, ensure_ascii=False).encode()
        key = key or (record["record_id"] if isinstance(record, dict) else "raw")
        await self.producer.send_and_wait(agency_topic(self.agency, self.settings.namespace), value, key=key.encode())

    async def answer(self, record_id: str, operation: str | None = "create", count: int = 1, timeout: float = 60.0,
                     status: str | None = None) -> dict:
        """The ``count``-th answer to ``record_id``'s ``operation`` (optionally the first with ``status``).

        Answers come at least once (docs/INGEST.md): a rebalance may answer a record again, with the same
        ``reply_id``. So an answer is found by what it answers, never by its position on the topic; ``count`` > 1
        asks for a resend's answer, which a repeated delivery of the first may stand in for (it says the same)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            got = [reply for reply in self.replies.get(record_id, [])
                   if operation is None or reply.get("operation") in (operation, None)]
            if status is not None:
                got = [reply for reply in got if reply["status"] == status]
            if len(got) >= count:
                return got[count - 1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no answer #{count} to {record_id} {operation} (got {self.replies.get(record_id)})")


@pytest.fixture(scope="module")
async def stack(settings):
    async with AsyncExitStack() as exits:
        clients = {name: await started(exits, name, name) for name in ("address", "person", "house", "unit", "ingest")}
        ingest_addresses.matcher.transport = httpx.ASGITransport(app=clients["address"].fastapi)
        ingest_addresses.matcher.base_url = "http://address"
        agencies = {}
        for name in (CIVIL, HOUSING, MARKET, GRID, "nobody-knows"):
            agencies[name] = Agency(name, settings)
            await agencies[name].start()
        clients["agencies"] = agencies
        yield clients
        for agency in agencies.values():
            await agency.stop()


def fresh_id(born: date, sex: str = "female") -> str:
    return unique_id_number(born, sex)


def person_fields(**overrides) -> dict:
    born = date(1950, 1, 1) + timedelta(days=random.randint(0, 20000))
    fields = {"category": "registered", "document_number": fresh_id(born), "name": "张丽", "sex": "female",
              "birth_date": born.isoformat(), "ethnicity": "汉族", "phone": "13800138000", "division_code": "532503001",
              "household_number": "532503001001", "relation_to_head": "户主", "lives_at_registered_address": True}
    return {**fields, **overrides}


def record_id(stem: str) -> str:
    return f"{stem}-{random.randint(10**8, 10**9)}"


async def read(client, path: str, version: int, headers=POLICE) -> dict:
    response = await client.get(path, params={"min_version": version}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def plate_known(stack, *services: str, number: str = "18") -> dict:
    """A fresh door plate, once the given services' address replicas know it (with its full name)."""
    plate = await register_doorplate(stack["address"], POLICE, unique_name(), number)
    for service in services:
        rt = stack[service].fastapi.state.runtime
        replica = rt.read_model(f"{service}-addresses", f"{service}-addresses")
        for _ in range(300):
            if await lookup_address(replica, plate["code"]):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"{service} never saw {plate['code']}")
    return {**plate, **await read_doorplate(stack["address"], POLICE, plate)}


# persons -----------------------------------------------------------------------------------------------------
async def test_person_accepted_redelivered_once_updated_and_cancelled(stack):
    agency, rid = stack["agencies"][CIVIL], record_id("MZ")
    record = {"record_id": rid, "entity_type": "person", "operation": "create", "fields": person_fields()}
    await agency.send(record)
    accepted = await agency.answer(rid)
    assert accepted["status"] == "accepted" and accepted["entity_type"] == "person", accepted
    assert accepted["entity_id"].startswith("P-") and accepted["version"] == 1
    person = await read(stack["person"], f"/v1/persons/{accepted['entity_id']}", 1)
    assert person["name"] == "张丽" and person["division_code"] == "532503001"

    await agency.send(record)  # redelivered / resent: the same answer, nothing applied again
    again = await agency.answer(rid, count=2)
    assert (again["status"], again["entity_id"], again["version"]) == ("accepted", accepted["entity_id"], 1)
    store = stack["person"].fastapi.state.runtime.store
    assert await store.current_version(accepted["stream_id"]) == 1

    changed = {**record, "operation": "update", "fields": {**record["fields"], "phone": "13900139000"}}
    await agency.send(changed)
    updated = await agency.answer(rid, "update")
    assert (updated["status"], updated["entity_id"], updated["version"]) == ("accepted", accepted["entity_id"], 2)
    person = await read(stack["person"], f"/v1/persons/{accepted['entity_id']}", 2)
    assert person["phone"].endswith("9000") or "139" in person["phone"]

    cancel = {"record_id": rid, "entity_type": "person", "operation": "cancel",
              "fields": {"reason": "moved_away", "cancelled_on": date.today().isoformat(), "remark": "迁出"}}
    await agency.send(cancel)
    cancelled = await agency.answer(rid, "cancel")
    assert cancelled["status"] == "accepted" and cancelled["version"] == 3
    person = await read(stack["person"], f"/v1/persons/{accepted['entity_id']}", 3)
    assert person["status"] == "cancelled"


async def test_person_rejected_with_every_reason_in_both_languages(stack):
    agency, rid = stack["agencies"][CIVIL], record_id("MZ")
    fields = person_fields(birth_date="1990-01-01", sex="male")  # both contradict the ID number
    fields.pop("household_number")
    await agency.send({"record_id": rid, "entity_type": "person", "fields": fields})
    rejected = await agency.answer(rid)
    assert rejected["status"] == "rejected" and rejected["entity_id"] is None
    reasons = rejected["reasons"]
    assert any(reason["field"].endswith("household_number") and reason["rule"] == "missing" for reason in reasons), reasons
    assert all(reason["msg"] and reason["msg_zh"] for reason in reasons), reasons

    fields = person_fields(sex="male")  # only the ID number's sex digit disagrees: the registry's own rule
    await agency.send({"record_id": rid + "b", "entity_type": "person", "fields": fields})
    rejected = await agency.answer(rid + "b")
    assert rejected["status"] == "rejected"
    assert rejected["reasons"][0]["field"] in ("sex", "document_number"), rejected
    assert rejected["reasons"][0]["msg_zh"]

    unknown = {"record_id": record_id("MZ"), "entity_type": "person", "operation": "update", "fields": {"phone": "1"}}
    await agency.send(unknown)
    refused = await agency.answer(unknown["record_id"], "update")
    assert refused["reasons"][0]["rule"] == "record.unknown"


async def test_a_duplicate_document_from_another_record_is_refused_naming_the_person(stack):
    agency = stack["agencies"][CIVIL]
    fields = person_fields()
    first, second = record_id("MZ"), record_id("MZ")
    await agency.send({"record_id": first, "entity_type": "person", "fields": fields})
    accepted = await agency.answer(first)
    await agency.send({"record_id": second, "entity_type": "person", "fields": fields})
    refused = await agency.answer(second)
    assert refused["status"] == "rejected" and refused["reasons"][0]["rule"] == "person.duplicate"
    assert accepted["entity_id"] in refused["reasons"][0]["msg"]


# houses and units --------------------------------------------------------------------------------------------
async def test_house_accepted_rejected_redelivered_and_updated(stack):
    plate = await plate_known(stack, "house")
    agency, rid = stack["agencies"][GRID], record_id("WL-H")
    record = {"record_id": rid, "entity_type": "house",
              "fields": {"address_code": plate["code"], "property_nature": "private", "use": "self_occupied", "area": 88}}
    await agency.send(record)
    accepted = await agency.answer(rid)
    assert accepted["status"] == "accepted" and accepted["entity_id"].startswith("H"), accepted
    await agency.send(record)
    assert (await agency.answer(rid, count=2))["version"] == accepted["version"]

    await agency.send({**record, "operation": "update", "fields": {"use": "rented", "area": 92.5}})
    updated = await agency.answer(rid, "update")
    assert updated["status"] == "accepted" and updated["entity_id"] == accepted["entity_id"], updated
    house = await read(stack["house"], f"/v1/houses/{accepted['entity_id']}", updated["version"])
    assert house["use"] == "rented" and house["area"] == 92.5

    bad = {"record_id": record_id("WL-H"), "entity_type": "house",
           "fields": {"address_code": "532503001999999999999999", "property_nature": "castle", "use": "rented"}}
    await agency.send(bad)
    refused = await agency.answer(bad["record_id"])
    assert refused["status"] == "rejected"
    assert {reason["field"] for reason in refused["reasons"]} >= {"property_nature"}, refused


async def test_unit_accepted_rejected_and_cancelled(stack):
    plate = await plate_known(stack, "unit")
    agency, rid = stack["agencies"][MARKET], record_id("SJ")
    record = {"record_id": rid, "entity_type": "unit",
              "fields": {"name": "蒙自天马宾馆", "industry_code": "H61", "address_code": plate["code"],
                         "unit_type": "individual_business", "opened_on": "2020-05-01"}}
    await agency.send(record)
    accepted = await agency.answer(rid)
    assert accepted["status"] == "accepted" and accepted["entity_id"].startswith("U"), accepted
    await agency.send(record)
    assert (await agency.answer(rid, count=2))["version"] == accepted["version"]
    await agency.send({**record, "operation": "update", "fields": {"phone": "0873-3712345"}})
    updated = await agency.answer(rid, "update")
    assert updated["entity_id"] == accepted["entity_id"] and updated["version"] == accepted["version"] + 1, updated
    await agency.send({**record, "operation": "cancel", "fields": {"reason": "注销登记"}})
    closed = await agency.answer(rid, "cancel")
    assert closed["status"] == "accepted", closed
    unit = await read(stack["unit"], f"/v1/units/{accepted['entity_id']}", closed["version"])
    assert unit["status"] == "closed" and unit["phone"] == "0873-3712345"

    bad = {"record_id": record_id("SJ"), "entity_type": "unit",
           "fields": {"name": "某公司", "industry_code": "ZZ99", "address_code": plate["code"], "uscc": "123"}}
    await agency.send(bad)
    refused = await agency.answer(bad["record_id"])
    assert refused["status"] == "rejected" and refused["reasons"][0]["msg_zh"], refused


# what the gate refuses ---------------------------------------------------------------------------------------
async def test_every_bad_input_is_answered_and_the_gate_keeps_going(stack):
    civil = stack["agencies"][CIVIL]
    await civil.send(b"\xff\xfe not json", key="garbage-1")
    assert (await civil.answer("garbage-1"))["reasons"][0]["rule"] == "record.malformed"
    await civil.send(b"[1, 2]", key="garbage-2")
    assert (await civil.answer("garbage-2"))["reasons"][0]["rule"] == "record.malformed"

    rid = record_id("MZ")
    await civil.send({"record_id": rid, "entity_type": "spaceship", "fields": {}})
    assert (await civil.answer(rid))["reasons"][0]["rule"] == "entity_type.unknown"
    rid = record_id("MZ")
    await civil.send({"record_id": rid, "entity_type": "house", "fields": {}})
    assert (await civil.answer(rid))["reasons"][0]["rule"] == "entity_type.not_permitted"
    rid = record_id("MZ")
    await civil.send({"record_id": rid, "entity_type": "person", "fields": person_fields(photo_ref="x", legacy_import=True)})
    refused = await civil.answer(rid)
    assert {(r["field"], r["rule"]) for r in refused["reasons"]} == {("photo_ref", "field.not_permitted"),
                                                                     ("legacy_import", "field.not_permitted")}
    rid = record_id("MZ")
    await civil.send({"record_id": rid, "entity_type": "person", "fields": person_fields(division_code="530102")})
    refused = await civil.answer(rid)
    assert refused["reasons"][0]["rule"] == "jurisdiction.outside" and "532503" in refused["reasons"][0]["msg_zh"]
    rid = record_id("MZ")
    await civil.send({"record_id": rid, "entity_type": "person", "operation": "erase", "fields": {}})
    assert (await civil.answer(rid))["reasons"][0]["field"] == "operation"

    stranger = stack["agencies"]["nobody-knows"]
    rid = record_id("X")
    await stranger.send({"record_id": rid, "entity_type": "person", "fields": person_fields()})
    assert (await stranger.answer(rid))["reasons"][0]["rule"] == "agency.unknown"

    # the gate is still working after all of that
    rid = record_id("MZ")
    await civil.send({"record_id": rid, "entity_type": "person", "fields": person_fields()})
    assert (await civil.answer(rid))["status"] == "accepted"
    metrics = (await stack["ingest"].get("/metrics")).text
    assert f'ybss_ingest_rejects_total{{agency="{CIVIL}",rule="field.not_permitted"}}' in metrics


# HTTP batches ------------------------------------------------------------------------------------------------
async def test_http_batch_answers_at_once_and_shows_progress(stack):
    records = [{"record_id": record_id("B"), "entity_type": "person", "fields": person_fields()} for _ in range(20)]
    records[3]["fields"]["sex"] = "male"  # the registry refuses this one
    headers = bearer(CIVIL, "agency")
    response = await stack["ingest"].post(f"/v1/ingest/{CIVIL}/batches", json={"records": records}, headers=headers)
    assert response.status_code == 202, response.text
    batch = response.json()
    assert batch["total"] == 20
    status = None
    for _ in range(600):
        status = (await stack["ingest"].get(batch["status_url"], headers=headers)).json()
        if status["done"]:
            break
        await asyncio.sleep(0.1)
    assert status["done"] and status["accepted"] == 19 and status["rejected"] == 1, status
    assert status["rejected_records"][0]["record_id"] == records[3]["record_id"]
    assert status["rejected_records"][0]["row"] == 3 and status["rejected_records"][0]["reasons"][0]["msg_zh"]
    assert all(row["entity_id"] for row in status["accepted_records"])

    other = await stack["ingest"].get(batch["status_url"], headers=bearer(MARKET, "agency"))
    assert other.status_code == 403
    supervisor = await stack["ingest"].get(batch["status_url"], headers=bearer("SV-1", "supervisor"))
    assert supervisor.status_code == 200 and supervisor.json()["accepted"] == 19

    # every record, page by page (issue 17: a worklist, no cap), and the rejected ones alone as CSV
    pages, cursor = [], None
    while True:
        page = (await stack["ingest"].get(f"{batch['status_url']}/records", headers=headers,
                                          params={"limit": 7, **({"cursor": cursor} if cursor else {})})).json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(pages) == 3 and all(page["total"] == 20 for page in pages)
    assert [row["row"] for page in pages for row in page["items"]] == list(range(20))
    rejected = await stack["ingest"].get(f"{batch['status_url']}/records", headers=headers,
                                         params={"status": "rejected", "format": "csv"})
    assert rejected.status_code == 200 and records[3]["record_id"] in rejected.text
    assert len(rejected.text.strip().splitlines()) == 2  # the header and the one rejected row
    refused = await stack["ingest"].get(f"{batch['status_url']}/records", headers=bearer(MARKET, "agency"))
    assert refused.status_code == 403


async def test_http_batch_refusals(stack):
    ingest, headers = stack["ingest"], bearer(CIVIL, "agency")
    too_many = {"records": [{"record_id": str(i), "entity_type": "person", "fields": {}} for i in range(10_001)]}
    response = await ingest.post(f"/v1/ingest/{CIVIL}/batches", json=too_many, headers=headers)
    assert response.status_code == 413 and response.json()["detail"][0]["type"] == "batch.too_large"

    bad = {"records": [{"record_id": "a", "entity_type": "person", "fields": person_fields()},
                       {"record_id": "b", "entity_type": "person", "fields": {**person_fields(), "photo_ref": "x"}},
                       {"record_id": "a", "entity_type": "person", "fields": person_fields()}]}
    response = await ingest.post(f"/v1/ingest/{CIVIL}/batches", json=bad, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "records", 1, "photo_ref"]
    assert response.json()["detail"][0]["type"] == "field.not_permitted" and response.json()["detail"][0]["msg_zh"]

    dup = {"records": [bad["records"][0], bad["records"][2]]}
    response = await ingest.post(f"/v1/ingest/{CIVIL}/batches", json=dup, headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "record_id.duplicate"

    response = await ingest.post("/v1/ingest/nobody/batches", json={"records": []}, headers=bearer("nobody", "agency"))
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "agency.unknown"
    response = await ingest.post(f"/v1/ingest/{MARKET}/batches", json={"records": []}, headers=headers)
    assert response.status_code == 403
    response = await ingest.post(f"/v1/ingest/{CIVIL}/batches", json={"records": []}, headers=POLICE)
    assert response.status_code == 403


# free-text addresses -----------------------------------------------------------------------------------------
async def test_free_text_above_the_threshold_is_linked_with_its_score(stack):
    plate = await plate_known(stack, "house")
    agency, rid = stack["agencies"][HOUSING], record_id("ZJ")
    await agency.send({"record_id": rid, "entity_type": "house",
                       "fields": {"address_text": plate["full_name"], "property_nature": "private", "use": "rented"}})
    accepted = await agency.answer(rid)
    assert accepted["status"] == "accepted", accepted
    link = accepted["address_link"]
    assert link["address_code"] == plate["code"] and link["score"] >= 0.9 and "auto" in link["reason"]
    house = await read(stack["house"], f"/v1/houses/{accepted['entity_id']}", accepted["version"], COLLECTOR)
    assert house["address_code"] == plate["code"]


async def test_free_text_below_the_threshold_waits_for_a_collector_then_proceeds(stack):
    plate = await plate_known(stack, "house", number="27")
    agency, rid = stack["agencies"][HOUSING], record_id("ZJ")
    text = f"蒙自{plate['full_name'][-6:]}附近老房子"
    await agency.send({"record_id": rid, "entity_type": "house",
                       "fields": {"address_text": text, "property_nature": "private", "use": "vacant"}})
    waiting = await agency.answer(rid)
    assert waiting["status"] == "review" and waiting["reasons"][0]["rule"] == "address.review", waiting

    listed = (await stack["ingest"].get("/v1/ingest/reviews", headers=COLLECTOR)).json()
    item = next(item for item in listed["items"] if item["record_id"] == rid)
    assert item["text"] == text and item["age_seconds"] >= 0 and item["agency"] == HOUSING
    assert listed["oldest_age_seconds"] >= item["age_seconds"]

    resolved = await stack["ingest"].post(f"/v1/ingest/reviews/{item['review_id']}/resolve",
                                          json={"address_code": plate["code"], "remark": "现场核实"}, headers=COLLECTOR)
    assert resolved.status_code == 200, resolved.text
    accepted = await agency.answer(rid, status="accepted")
    assert accepted["address_link"]["decided_by"] == "GC-0001" and accepted["address_link"]["score"] is None
    again = await stack["ingest"].post(f"/v1/ingest/reviews/{item['review_id']}/resolve",
                                       json={"address_code": plate["code"]}, headers=COLLECTOR)
    assert again.status_code == 409
    house = await read(stack["house"], f"/v1/houses/{accepted['entity_id']}", accepted["version"], COLLECTOR)
    assert house["address_code"] == plate["code"] and house["use"] == "vacant"
    still_open = (await stack["ingest"].get("/v1/ingest/reviews", headers=COLLECTOR)).json()
    assert rid not in [item["record_id"] for item in still_open["items"]]

    await agency.send({"record_id": rid, "entity_type": "house",  # resent after the review: the same answer
                       "fields": {"address_text": text, "property_nature": "private", "use": "vacant"}})
    again = await agency.answer(rid, count=2, status="accepted")
    assert (again["entity_id"], again["version"]) == (accepted["entity_id"], accepted["version"])


# a crash mid-batch ---------------------------------------------------------------------------------------------
async def test_a_registry_that_crashes_mid_batch_resumes_without_duplicates(stack, settings):
    """The person service stops while it applies a batch; a new one takes over: every record once."""
    records = [{"record_id": record_id("C"), "entity_type": "person", "fields": person_fields()} for _ in range(60)]
    headers = bearer(CIVIL, "agency")
    person_app = stack["person"].fastapi
    async with AsyncExitStack() as exits:
        second = await started(exits, "person", "person2")  # a second replica shares the work
        response = await stack["ingest"].post(f"/v1/ingest/{CIVIL}/batches", json={"records": records}, headers=headers)
        assert response.status_code == 202
        agency = stack["agencies"][CIVIL]
        await agency.answer(records[0]["record_id"], timeout=60)
        del second  # leaving the block stops the replica in the middle of the batch
    batch = response.json()
    for _ in range(900):
        status = (await stack["ingest"].get(batch["status_url"], headers=headers)).json()
        if status["done"]:
            break
        await asyncio.sleep(0.1)
    assert status["done"] and status["accepted"] == 60, status
    ids = {row["entity_id"] for row in status["accepted_records"]}
    assert len(ids) == 60
    db = person_app.state.runtime.db
    for record in records:
        count = await db["events"].count_documents({"causation_id": {"$regex": f"^ingest:{CIVIL}:{record['record_id']}:"},
                                                    "event_type": "PersonRegistered"})
        assert count == 1, record["record_id"]


async def test_an_unreachable_matcher_holds_the_record_until_it_answers(stack):
    """The address service down: the record is neither rejected nor lost; it is linked once the matcher is back."""
    plate = await plate_known(stack, "house", number="31")
    agency, rid = stack["agencies"][HOUSING], record_id("ZJ")
    matcher = ingest_addresses.matcher
    matcher.transport, matcher.base_url = None, "http://127.0.0.1:9"  # nothing listens there
    try:
        await agency.send({"record_id": rid, "entity_type": "house",
                           "fields": {"address_text": plate["full_name"], "property_nature": "private", "use": "rented"}})
        with pytest.raises(AssertionError):
            await agency.answer(rid, timeout=3)
    finally:
        matcher.transport = httpx.ASGITransport(app=stack["address"].fastapi)
        matcher.base_url = "http://address"
    accepted = await agency.answer(rid, timeout=60)
    assert accepted["status"] == "accepted" and accepted["address_link"]["address_code"] == plate["code"]
    metrics = (await stack["ingest"].get("/metrics")).text
    assert f'ybss_ingest_address_matches_total{{agency="{HOUSING}",outcome="unavailable"}}' in metrics
