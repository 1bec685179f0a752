"""Quality metrics and the monthly report on a generated town whose true counts the test knows, published on
the real Kafka topics with October recorded times (as a replay of October would deliver them); a November
correction must change November's numbers and leave October's report as it was; a rebuild gives the same."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import openpyxl
import pytest
from aiokafka import AIOKafkaProducer

from contracts.address import DoorplateMergedInto, DoorplateRegistered, PlaceRegistered
from contracts.envelope import Actor, EventEnvelope
from contracts.house import HouseRegistered, RentalStarted
from contracts.person import PersonCancelled, ResidenceRegistered
from contracts.topics import events_topic
from contracts.unit import SpecialTradeAdded, UnitClosed
from services.audit.archive import archive
from services.kernel.operations.rebuild import rebuild
from services.audit.projections.figures import COUNTERS, PENDING, figures
from services.kernel.messaging.projection import physical_name
from tests.integration.audit_helpers import archived_history, headers, running_audit
from tests.integration.figures_helpers import figures_caught_up

pytestmark = pytest.mark.integration
TOWN = "532503105"
OCTOBER = datetime(2026, 10, 15, 2, 0, tzinfo=timezone.utc)
COLLECTOR = Actor(id="GW-TOWN-1", role="collector", organisation_code=TOWN)


class Town:
    """Builds streams with consecutive versions and remembers the last version of each."""

    def __init__(self, division: str = TOWN) -> None:
        self.division = division
        self.versions: dict[str, int] = {}
        self.sent: list[tuple[str, EventEnvelope]] = []
        self.tag = uuid.uuid4().hex[:8]

    def add(self, context: str, stream_type: str, stream_id: str, event_type: str, payload: dict,
            at: datetime = OCTOBER) -> None:
        version = self.versions.get(stream_id, 0) + 1
        self.versions[stream_id] = version
        self.sent.append((context, EventEnvelope(
            event_type=event_type, stream_id=stream_id, stream_type=stream_type, version=version, occurred_at=at,
            recorded_at=at, actor=COLLECTOR, correlation_id=f"gen-{self.tag}", division_code=self.division,
            payload=payload)))

    async def publish(self, settings) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            for context, envelope in self.sent:
                await producer.send_and_wait(events_topic(context, settings.namespace), envelope.to_bytes(),
                                             key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
        finally:
            await producer.stop()
        self.sent = []


def plate_code(n: int) -> str:
    return f"{TOWN}50{n:012d}0"


COMMUNITY, ROAD = f"{TOWN}31{1:013d}", f"{TOWN}41{1:013d}"


def generate(town: Town) -> None:
    """4 plates (P4 merged into P3), 5 persons (E cancelled; C at the merged plate: unlinked; D duplicates A's ID;
    C carries a logic error; A and B have phones), 2 houses (H1 rented), 2 units (U1 hotel, U2 closed)."""
    town.add("address", "Place", f"place-{COMMUNITY}", "PlaceRegistered", PlaceRegistered(
        code=COMMUNITY, element_type="31", name="生成社区", parent_code=TOWN, division_code=TOWN).model_dump(mode="json"))
    town.add("address", "Place", f"place-{ROAD}", "PlaceRegistered", PlaceRegistered(
        code=ROAD, element_type="41", name="生成路", parent_code=COMMUNITY, division_code=TOWN).model_dump(mode="json"))
    for n in range(1, 5):  # P1-P3 on a road of the community; P4 on a road the archive does not know
        town.add("address", "Doorplate", f"doorplate-{plate_code(n)}", "DoorplateRegistered", DoorplateRegistered(
            code=plate_code(n), division_code=TOWN, place_code=ROAD if n < 4 else "P", place_name="生成路",
            number=str(n)).model_dump(mode="json"))
    town.add("address", "Doorplate", f"doorplate-{plate_code(4)}", "DoorplateMergedInto",
             DoorplateMergedInto(code=plate_code(4), survivor_code=plate_code(3)).model_dump(mode="json"))
    people = {"A": (1, "+8613800000001", "X-A", []), "B": (2, "+8613800000002", "X-B", []),
              "C": (4, None, "X-C", [{"field": "sex", "rule": "id.sex", "message": "性别与身份证号不符"}]),
              "D": (3, None, "X-A", []), "E": (None, None, "X-E", [])}
    for name, (plate, phone, document, errors) in people.items():
        pid = f"P-{town.tag}-{name}"
        town.add("person", "Person", f"person-{pid}", "PersonRegistered", {
            "person_id": pid, "name": name, "document_type": "id_card", "document_number": document, "phone": phone,
            "category": "registered", "logic_errors": errors, "division_code": TOWN})
        if plate:
            town.add("person", "Person", f"person-{pid}", "ResidenceRegistered", ResidenceRegistered(
                person_id=pid, address_code=plate_code(plate), moved_in=date(2026, 10, 1), reason="居住").model_dump(mode="json"))
    town.add("person", "Person", f"person-P-{town.tag}-E", "PersonCancelled", PersonCancelled(
        person_id=f"P-{town.tag}-E", reason="moved_away", cancelled_on=date(2026, 10, 10)).model_dump(mode="json"))
    for house, plate, use in (("H1", 1, "rented"), ("H2", 2, "self_occupied")):
        town.add("house", "House", f"house-{town.tag}-{house}", "HouseRegistered", HouseRegistered(
            house_id=f"{town.tag}-{house}", address_code=plate_code(plate), address_kind="doorplate", division_code=TOWN,
            property_nature="private", use=use).model_dump(mode="json"))
    rent(town, "H1")
    for unit, closed in (("U1", False), ("U2", True)):
        town.add("unit", "Unit", f"unit-{town.tag}-{unit}", "UnitRegistered", {
            "unit_id": f"{town.tag}-{unit}", "name": unit, "unit_type": "enterprise", "industry_code": "H61",
            "address_code": plate_code(1), "division_code": TOWN})
        if closed:
            town.add("unit", "Unit", f"unit-{town.tag}-{unit}", "UnitClosed", UnitClosed(
                unit_id=f"{town.tag}-{unit}", on=date(2026, 10, 12)).model_dump(mode="json"))
    town.add("unit", "Unit", f"unit-{town.tag}-U1", "SpecialTradeAdded", SpecialTradeAdded(
        unit_id=f"{town.tag}-U1", trade="hotel", since=date(2026, 10, 1)).model_dump(mode="json"))


def rent(town: Town, house: str, at: datetime = OCTOBER) -> None:
    town.add("house", "House", f"house-{town.tag}-{house}", "RentalStarted", RentalStarted(
        house_id=f"{town.tag}-{house}", rental_id="R1", lessor={"name": "房东"}, lessor_role="owner", rooms_let=1,
        start=date(2026, 10, 1), security_person={"name": "房东"}).model_dump(mode="json"), at)


KNOWN_OCTOBER = {"places_total": 2, "doorplates_total": 3, "doorplates_merged": 1, "persons_total": 4, "persons_linked": 3,
                 "persons_unlinked": 1, "persons_logic_errors": 1, "persons_duplicates_open": 1,
                 "persons_cancelled": 1, "persons_phone_rate": 0.5, "houses_total": 2, "houses_rented": 1,
                 "units_total": 1, "units_special_trade": 1}


@pytest.fixture(scope="module")
async def audit():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


async def wait_archived(client, auth, versions: dict[str, int]) -> None:
    """The archive and the figures (a consumer of their own) both hold these versions."""
    for stream_id, version in versions.items():
        await archived_history(client, auth, stream_id, version)
    await figures_caught_up(client, versions)


async def test_generated_town_metrics_october_report_and_rebuild(audit, settings):
    supervisor = headers(settings)
    town = Town()
    generate(town)
    await town.publish(settings)
    await wait_archived(audit, supervisor, town.versions)

    october = (await audit.get("/v1/audit/quality", headers=supervisor,
                               params={"division_code": TOWN, "as_of": "2026-10-31T23:00:00+08:00"})).json()
    assert {key: october[key] for key in KNOWN_OCTOBER} == KNOWN_OCTOBER
    assert october["by_collector"] == {"GW-TOWN-1": {"Doorplate": 3, "House": 2, "Person": 4, "Place": 2, "Unit": 1}}
    in_community = october["by_sub_division"][COMMUNITY]  # A, B, D live on the community's road; C at P4
    assert (in_community["doorplates_total"], in_community["persons_total"], in_community["houses_total"]) == (3, 3, 2)
    assert october["by_sub_division"][TOWN]["persons_total"] == 1
    report_before = (await audit.get("/v1/audit/reports/monthly/2026-10", headers=supervisor,
                                     params={"division_code": TOWN})).json()
    assert report_before["entities"]["person"]["total"]["persons_linked"] == 3
    assert report_before["entities"]["person"]["total"]["change"]["persons_total"] == 4  # nothing in September

    # November: C moves to an in-use plate, H2 is let
    town.add("person", "Person", f"person-P-{town.tag}-C", "ResidenceRegistered", ResidenceRegistered(
        person_id=f"P-{town.tag}-C", address_code=plate_code(3), moved_in=date(2026, 11, 20), reason="纠错").model_dump(
        mode="json"), datetime.now(timezone.utc))
    rent(town, "H2", datetime.now(timezone.utc))
    await town.publish(settings)
    await wait_archived(audit, supervisor, town.versions)

    baseline = await audit.post("/v1/audit/baselines", headers=supervisor, json={
        "division_code": TOWN, "metric": "persons_total", "value": 8, "source": "第七次全国人口普查"})
    assert baseline.status_code == 201, baseline.text
    wrong = await audit.post("/v1/audit/baselines", headers=supervisor, json={
        "division_code": TOWN, "metric": "persons_phone_rate", "value": 8})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "metric"]
    for _ in range(150):  # the baseline is an audit event: it reaches the archive shortly
        now = (await audit.get("/v1/audit/quality", headers=supervisor, params={"division_code": TOWN})).json()
        if now["persons_collection_rate"] is not None:
            break
        await asyncio.sleep(0.2)
    assert (now["persons_linked"], now["houses_rented"]) == (4, 2)
    assert now["persons_collection_rate"] == 0.5 and now["baselines"] == {"persons_total": 8}
    report_after = (await audit.get("/v1/audit/reports/monthly/2026-10", headers=supervisor,
                                    params={"division_code": TOWN})).json()
    assert report_after == report_before

    workbook = await audit.get("/v1/audit/reports/monthly/2026-10", headers=supervisor,
                               params={"division_code": TOWN, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book["实有人口"].cell(4, 4).value == 4  # total row, 实有人口数
    page = await audit.get("/v1/audit/reports/monthly/2026-10", headers=supervisor,
                           params={"division_code": TOWN, "format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    tags = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append(tag)
    parser.feed(page.text)
    assert "svg" in tags and "script" not in tags and "table" in tags

    # a rebuild of the archive from offset 0 gives the same numbers
    runtime = audit.fastapi.state.runtime
    report = await rebuild(settings, "audit", archive)
    assert report.events >= sum(town.versions.values())
    deadline = time.monotonic() + 60
    while runtime.runners[archive.name].generation != report.generation and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    rebuilt = (await audit.get("/v1/audit/quality", headers=supervisor,
                               params={"division_code": TOWN, "as_of": "2026-10-31T23:00:00+08:00"})).json()
    assert rebuilt == october

    # a rebuild of the figures folds its pending changes before it would swap (nobody else writes an unswapped one)
    unswapped = await rebuild(settings, "audit", figures, swap=False)
    folded = {name: await runtime.db[physical_name(name, unswapped.generation)].count_documents({})
              for name in (PENDING, COUNTERS)}
    assert folded[PENDING] == 0 and folded[COUNTERS] > 0, folded

    # and so does a rebuild of the figures themselves
    report = await rebuild(settings, "audit", figures)
    deadline = time.monotonic() + 60
    while runtime.runners[figures.name].generation != report.generation and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert runtime.runners[figures.name].generation == report.generation
    refigured = (await audit.get("/v1/audit/quality", headers=supervisor,
                                 params={"division_code": TOWN, "as_of": "2026-10-31T23:00:00+08:00"})).json()
    assert refigured == october


async def test_the_archive_keeps_one_copy_of_a_redelivery_and_never_applies_a_gap(audit, settings):
    supervisor = headers(settings)
    elsewhere = "532503202"  # not the generated town: its October numbers stay what the first test knows
    town = Town(elsewhere)
    code = f"{elsewhere}50{random_number():012d}0"
    stream_id = f"doorplate-{code}"
    town.add("address", "Doorplate", stream_id, "DoorplateRegistered", DoorplateRegistered(
        code=code, division_code=elsewhere, place_code="P", place_name="生成路", number="1").model_dump(mode="json"))
    first = town.sent[0]
    town.sent.append(first)  # the relay re-sends a batch after a crash: the same envelope twice
    gap = first[1].model_copy(update={"version": 3, "event_type": "DoorplateRetired", "payload": {
        "code": code, "reason": "拆迁", "retired_on": "2026-11-01"}})
    town.sent.append((first[0], gap))
    await town.publish(settings)
    entries = await archived_history(audit, supervisor, stream_id, 1)
    await asyncio.sleep(2)
    entries = (await audit.get("/v1/audit/history", params={"stream_id": stream_id}, headers=supervisor)).json()["entries"]
    assert [entry["version"] for entry in entries] == [1]
    log = (await audit.get("/v1/audit/log", headers=supervisor, params={"event_type": "DoorplateRegistered",
                                                                          "division_code": elsewhere, "page_size": 500})).json()
    assert sum(entry["event_id"] == str(first[1].event_id) for entry in log["items"]) == 1


def random_number() -> int:
    import random

    return random.randint(10**6, 10**9)


async def test_a_record_handed_to_another_township_counts_where_it_was_then(audit, settings):
    supervisor = headers(settings)
    town, before, after = Town(), "532503106", "532503107"
    pid = f"P-{town.tag}-MOVER"
    registered_at = datetime(2026, 9, 10, tzinfo=timezone.utc)
    town.add("person", "Person", f"person-{pid}", "PersonRegistered", {
        "person_id": pid, "name": "迁移人", "document_number": f"X-{town.tag}", "category": "registered",
        "division_code": before}, registered_at)
    context, registration = town.sent.pop()
    town.sent.append((context, registration.model_copy(update={"division_code": before})))
    moved = registration.model_copy(update={
        "event_id": uuid.uuid4(), "version": 2, "event_type": "ResidenceRegistered", "division_code": after,
        "recorded_at": OCTOBER, "occurred_at": OCTOBER, "payload": ResidenceRegistered(
            person_id=pid, address_code=plate_code(1), moved_in=date(2026, 10, 15), reason="迁居",
            division_code=after).model_dump(mode="json")})
    town.sent.append(("person", moved))
    await town.publish(settings)
    await archived_history(audit, supervisor, f"person-{pid}", 2)
    await figures_caught_up(audit, {f"person-{pid}": 2})

    async def persons(division: str, as_of: str) -> int:
        answer = await audit.get("/v1/audit/quality", headers=supervisor, params={"division_code": division, "as_of": as_of})
        return answer.json()["persons_total"]

    assert (await persons(before, "2026-09-30T00:00:00+00:00"), await persons(after, "2026-09-30T00:00:00+00:00")) == (1, 0)
    assert (await persons(before, "2026-10-31T00:00:00+00:00"), await persons(after, "2026-10-31T00:00:00+00:00")) == (0, 1)
    state = (await audit.get("/v1/audit/state", params={"stream_id": f"person-{pid}"}, headers=supervisor)).json()
    assert state["state"]["name"] == "迁移人"  # folded whole: the registration written under the old township
