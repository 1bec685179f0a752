"""考核 on the real stack: a township of its own with two communities and two collectors, records planted this month
on the real Kafka topics (known corrections, a late migrant registration, a foreigner on time), a campaign opened
and inspected through the service, baselines imported from a CSV file and targets set as a new version; the test
knows every figure of the assessment, its rankings by rates, the paged rows and the export."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import datetime, timedelta, timezone

import pytest

from contracts.address import DoorplateRegistered, PlaceRegistered
from contracts.calendar import local_date
from contracts.envelope import Actor, EventEnvelope
from tests.integration.audit_helpers import archived_history, audit_service, headers
from tests.integration.figures_helpers import figures_caught_up
from tests.integration.test_audit_quality import Town

pytestmark = pytest.mark.integration
TOWN = "532503118"
C1, C2 = f"{TOWN}31{1:013d}", f"{TOWN}31{2:013d}"
R1, R2 = f"{TOWN}41{1:013d}", f"{TOWN}41{2:013d}"
P1, P2 = f"{TOWN}50{1:012d}0", f"{TOWN}50{2:012d}0"
audit = pytest.fixture(scope="module")(audit_service)


class Planted(Town):
    """test_audit_quality's town (consecutive versions, published on the real topics), each event with its own
    actor (the collector), recorded just now so the whole town falls in the running month."""

    def __init__(self) -> None:
        super().__init__(TOWN)
        self.at = datetime.now(timezone.utc) - timedelta(seconds=2)

    def add(self, context: str, stream_type: str, stream_id: str, event_type: str, payload: dict, actor: str) -> None:
        self.versions[stream_id] = version = self.versions.get(stream_id, 0) + 1
        self.at += timedelta(milliseconds=10)
        self.sent.append((context, EventEnvelope(
            event_type=event_type, stream_id=stream_id, stream_type=stream_type, version=version, occurred_at=self.at,
            recorded_at=self.at, actor=Actor(id=actor, role="collector", organisation_code=TOWN),
            correlation_id=f"assess-{self.tag}", division_code=TOWN, payload=payload)))

    def person(self, key: str, actor: str, plate: str, category: str = "registered", details: dict | None = None) -> str:
        stream = f"person-{self.tag}-{key}"
        self.add("person", "Person", stream, "PersonRegistered", {
            "person_id": f"{self.tag}-{key}", "name": key, "document_type": "id_card",
            "document_number": f"X-{self.tag}-{key}", "category": category, "details": details or {},
            "division_code": TOWN}, actor)
        self.add("person", "Person", stream, "ResidenceRegistered", {
            "person_id": f"{self.tag}-{key}", "address_code": plate, "moved_in": "2026-10-01", "reason": "居住"}, actor)
        return stream

    def correct(self, stream: str, actor: str) -> None:
        self.add("person", "Person", stream, "PersonCorrected", {
            "person_id": stream.removeprefix("person-"), "changes": {"phone": "+8613800000009"},
            "old_values": {"phone": None}, "reason_code": "01"}, actor)


def plant() -> tuple[Planted, dict[str, str]]:
    """GW-A in 社区一 (C1): plate P1, persons A1 (registered), A2 (migrant, renting, arrived 10 days ago: late), A3
    (migrant, arrived yesterday: on time), house H1; two corrections. GW-B in 社区二 (C2): plate P2, persons B1,
    B2 (foreigner in a rental, arrived 2 hours ago: on time), unit U1; one correction."""
    town = Planted()
    today = local_date(town.at)
    for code, name, parent in ((C1, "社区一", TOWN), (C2, "社区二", TOWN)):
        town.add("address", "Place", f"place-{code}", "PlaceRegistered", PlaceRegistered(
            code=code, element_type="31", name=name, parent_code=parent, division_code=TOWN).model_dump(mode="json"),
            "ADDR-1")
    for road, community in ((R1, C1), (R2, C2)):
        town.add("address", "Place", f"place-{road}", "PlaceRegistered", PlaceRegistered(
            code=road, element_type="41", name="考核路", parent_code=community, division_code=TOWN).model_dump(
            mode="json"), "ADDR-1")
    for plate, road, actor in ((P1, R1, "GW-A"), (P2, R2, "GW-B")):
        town.add("address", "Doorplate", f"doorplate-{plate}", "DoorplateRegistered", DoorplateRegistered(
            code=plate, division_code=TOWN, place_code=road, place_name="考核路", number=plate[-3:-1]).model_dump(
            mode="json"), actor)
    migrant = lambda days: {"category": "migrant", "arrival_date": (today - timedelta(days=days)).isoformat(),  # noqa
                            "renting": True, "residence_reason": "work", "residence_type": "rental"}
    streams = {"A1": town.person("A1", "GW-A", P1), "A2": town.person("A2", "GW-A", P1, "migrant", migrant(10)),
               "A3": town.person("A3", "GW-A", P1, "migrant", migrant(1)), "B1": town.person("B1", "GW-B", P2),
               "B2": town.person("B2", "GW-B", P2, "foreigner", {
                   "category": "foreigner", "accommodation": "rental",
                   "arrived_at": (town.at - timedelta(hours=2)).isoformat()})}
    town.add("house", "House", f"house-{town.tag}-H1", "HouseRegistered", {
        "house_id": f"{town.tag}-H1", "address_code": P1, "address_kind": "doorplate", "division_code": TOWN,
        "property_nature": "private", "use": "self_occupied"}, "GW-A")
    town.add("unit", "Unit", f"unit-{town.tag}-U1", "UnitRegistered", {
        "unit_id": f"{town.tag}-U1", "name": "考核商店", "unit_type": "enterprise", "industry_code": "H61",
        "address_code": P2, "division_code": TOWN}, "GW-B")
    town.correct(streams["A1"], "GW-A")
    town.correct(streams["A2"], "GW-A")
    town.correct(streams["B1"], "GW-B")
    return town, streams


async def until(probe, done, what: str, timeout: float = 120.0):
    """``probe()`` until ``done(answer)``; the audit's own events reach its archive through Kafka."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await probe()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never came: {answer}")
        await asyncio.sleep(0.5)


async def inspect_every_person(audit, settings, supervisor, streams: dict[str, str]) -> None:
    """A campaign over the township's persons (all five drawn), inspected from 个旧市: A2's name is wrong."""
    opened = await audit.post("/v1/audit/campaigns", headers=supervisor, json={
        "name": "考核抽查", "division_code": TOWN, "entity_types": ["Person"], "sample_size": 5, "seed": 7,
        "inspectors": [{"id": "PC-OUT", "organisation_code": "532502"}]})
    assert opened.status_code == 201, opened.text
    campaign = opened.json()
    assert sorted(item["stream_id"] for item in campaign["items"]) == sorted(streams.values())
    inspector = headers(settings, "police", "532502", "PC-OUT")
    for stream in streams.values():
        verdict = "wrong" if stream == streams["A2"] else "correct"
        done = await audit.post(f"/v1/audit/campaigns/{campaign['campaign_id']}/inspections", headers=inspector, json={
            "stream_id": stream, "verdicts": [{"field": "name", "verdict": verdict,
                                               **({"correct_value": "甲二"} if verdict == "wrong" else {})}]})
        assert done.status_code == 200, done.text


async def test_the_assessment_of_a_planted_township_per_collector_and_community(audit, settings):
    supervisor = headers(settings, org="532503")
    town, streams = plant()
    await town.publish(settings)
    for stream_id, version in town.versions.items():
        await archived_history(audit, supervisor, stream_id, version)
    await figures_caught_up(audit, town.versions)
    month = local_date(datetime.now(timezone.utc)).isoformat()[:7]

    await inspect_every_person(audit, settings, supervisor, streams)
    imported = await audit.post("/v1/audit/baselines/imports", headers={**supervisor, "Content-Type": "text/csv"},
                                params={"division_code": TOWN, "source": "第七次全国人口普查", "file_name": "基数.csv"},
                                content=f"区划代码,指标,基数,来源\n{C1},persons_total,4,普查\n{C2},persons_total,2,户籍\n"
                                .encode())
    assert imported.status_code == 201 and imported.json()["version"] == 1, imported.text
    targets = await audit.put("/v1/audit/targets", headers=supervisor, json={
        "division_code": TOWN, "targets": {"accuracy": 0.9}, "remark": "乡镇考核", "expected_version": 0})
    assert targets.status_code == 200 and targets.json()["version"] == 1, targets.text

    async def assessed():
        response = await audit.get("/v1/audit/assessment", headers=supervisor,
                                   params={"division_code": TOWN, "month": month})
        assert response.status_code == 200, response.text
        return response.json()

    found = await until(assessed, lambda a: a["targets"]["version"] == 1 and len(a["communities"]) == 2
                        and all(c["baselines"] for c in a["communities"])
                        and a["total"]["accuracy"]["records"]["inspected"] == 5,
                        "the campaign, the baselines and the targets")
    assert found["targets"] == {"division_code": TOWN, "version": 1, "source": "configured",
                                "values": {**found["targets"]["values"], "accuracy": 0.9}}
    a, b = (next(row for row in found["collectors"] if row["collector_id"] == who) for who in ("GW-A", "GW-B"))
    assert (a["records_collected"], a["collected_by_type"]) == (5, {"doorplates": 1, "persons": 3, "houses": 1,
                                                                    "units": 0})
    assert (b["records_collected"], b["collected_by_type"]) == (4, {"doorplates": 1, "persons": 2, "houses": 0,
                                                                    "units": 1})
    assert (a["corrections"], b["corrections"]) == (2, 1)
    assert (a["registrations_with_deadline"], a["registered_late"], a["timeliness"]["rate"]) == (2, 1, 0.5)
    assert (b["registrations_with_deadline"], b["registered_late"], b["timeliness"]["rate"]) == (1, 0, 1.0)
    assert (a["accuracy"]["records"]["correct"], a["accuracy"]["records"]["inspected"]) == (2, 3)
    assert a["accuracy"]["records"]["interval_95"][0] < 0.667 < a["accuracy"]["records"]["interval_95"][1]
    assert (b["accuracy"]["records"]["correct"], b["accuracy"]["records"]["inspected"]) == (2, 2)
    # ranked by rates against the targets, not by totals: GW-A collected more and ranks second
    assert a["attainment"] == round((min(0.666667 / 0.9, 1) + 0.5) / 2, 4) and b["attainment"] == 1.0
    assert [(row["collector_id"], row["rank"]) for row in found["collectors"]] == [("GW-B", 1), ("GW-A", 2)]
    assert a["below_target"] == ["accuracy", "timeliness"] and a["communities"] == [C1]

    one, two = (next(row for row in found["communities"] if row["division_code"] == code) for code in (C1, C2))
    assert (one["name"], one["records_collected"], one["corrections"], one["persons_total"]) == ("社区一", 5, 2, 3)
    assert (two["name"], two["records_collected"], two["corrections"], two["persons_total"]) == ("社区二", 4, 1, 2)
    assert (one["persons_collection_rate"], two["persons_collection_rate"]) == (0.75, 1.0)
    assert one["baseline_versions"] == {"persons_total": {"scope": TOWN, "version": 1}}
    assert (one["accuracy"]["records"]["rate"], two["accuracy"]["records"]["rate"]) == (0.666667, 1.0)
    assert (one["timeliness"]["rate"], two["timeliness"]["rate"]) == (0.5, 1.0)
    assert one["attainment"] == round((0.75 / 0.95 + 0.666667 / 0.9 + 0.5) / 3, 4)
    assert [(row["division_code"], row["rank"]) for row in found["communities"]] == [(C2, 1), (C1, 2)]
    assert (found["total"]["records_collected"], found["total"]["corrections"]) == (9, 3)

    # one row set as a worklist, paged, and the whole list as a file
    page = await audit.get("/v1/audit/assessment", headers=supervisor, params={
        "division_code": TOWN, "month": month, "rows": "communities", "limit": 1})
    assert page.status_code == 200 and page.json()["total"] == 2 and page.json()["next_cursor"], page.text
    assert page.json()["items"][0]["division_code"] == C2 and page.json()["targets"]["version"] == 1
    rest = await audit.get("/v1/audit/assessment", headers=supervisor, params={
        "division_code": TOWN, "month": month, "rows": "communities", "cursor": page.json()["next_cursor"]})
    assert [row["division_code"] for row in rest.json()["items"]] == [C1] and rest.json()["next_cursor"] is None
    exported = await audit.get("/v1/audit/assessment", headers=supervisor, params={
        "division_code": TOWN, "month": month, "rows": "collectors", "format": "csv"})
    assert exported.status_code == 200, exported.text
    lines = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(line["collector_id"], line["rank"], line["timeliness.rate"]) for line in lines] == [
        ("GW-B", "1", "1.0"), ("GW-A", "2", "0.5")]

    # the configuration says its versions
    listed = (await audit.get("/v1/audit/baselines", headers=supervisor, params={"division_code": TOWN})).json()
    assert {(row["division_code"], row["value"], row["version"]) for row in listed["baselines"]} == {
        (C1, 4, 1), (C2, 2, 1)}
    assert [(entry["version"], entry["rows"], entry["file_name"]) for entry in listed["imports"]] == [(1, 2, "基数.csv")]
    shown = (await audit.get("/v1/audit/targets", headers=supervisor, params={"division_code": TOWN})).json()
    assert shown["in_force"]["version"] == 1 and [h["version"] for h in shown["history"]] == [1]
    assert shown["history"][0]["remark"] == "乡镇考核"


async def test_configuration_refusals_name_the_field_and_the_rule(audit, settings):
    supervisor = headers(settings, org="532503")
    stale = await audit.put("/v1/audit/targets", headers=supervisor, json={
        "division_code": "532503119", "targets": {"accuracy": 0.9}, "expected_version": 3})
    assert stale.status_code == 409, stale.text
    unknown = await audit.put("/v1/audit/targets", headers=supervisor, json={
        "division_code": "532503119", "targets": {"speed": 0.9}})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "targets"]
    assert unknown.json()["detail"][0]["type"] == "targets.unknown_rate"
    bad_line = await audit.post("/v1/audit/baselines/imports", headers={**supervisor, "Content-Type": "text/csv"},
                                params={"division_code": "532503119"},
                                content=b"division_code,metric,value\n532503119,persons_total,many\n")
    assert bad_line.status_code == 422 and bad_line.json()["detail"][0]["loc"] == ["body", "rows", "2", "value"]
    outside = await audit.post("/v1/audit/baselines/imports", headers={**supervisor, "Content-Type": "text/csv"},
                               params={"division_code": "532502001"},
                               content=b"division_code,metric,value\n532502001,persons_total,5\n")
    assert outside.status_code == 403, outside.text
    future = await audit.get("/v1/audit/assessment", headers=supervisor, params={"month": "2099-01"})
    assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["query", "month"]
    police = await audit.get("/v1/audit/assessment", headers=headers(settings, "police"), params={"month": "2026-11"})
    assert police.status_code == 403


async def test_the_documented_examples_are_accepted_by_the_service(audit, settings):
    supervisor = headers(settings, org="532503")
    spec = audit.fastapi.openapi()
    (example,) = spec["components"]["schemas"]["TargetsIn"]["examples"]
    put = await audit.put("/v1/audit/targets", headers=supervisor, json=example)
    assert put.status_code == 200, put.text
    body = spec["paths"]["/v1/audit/baselines/imports"]["post"]["requestBody"]["content"]["text/csv"]["example"]
    posted = await audit.post("/v1/audit/baselines/imports", headers={**supervisor, "Content-Type": "text/csv"},
                              params={"division_code": "532503001"}, content=body.encode())
    assert posted.status_code == 201, posted.text


async def test_the_monthly_report_ranks_against_the_targets_in_force(audit, settings):
    """A township's report reads the targets configured for it (version 1) and says so."""
    supervisor = headers(settings, org="532503")
    month = local_date(datetime.now(timezone.utc)).isoformat()[:7]
    township = "532503120"
    put = await audit.put("/v1/audit/targets", headers=supervisor, json={
        "division_code": township, "targets": {"accuracy": 0.9}, "expected_version": 0})
    assert put.status_code == 200 and put.json()["version"] == 1, put.text

    async def report():
        return (await audit.get(f"/v1/audit/reports/monthly/{month}", headers=supervisor,
                                params={"division_code": township})).json()

    found = await until(report, lambda r: r.get("targets_version", {}).get("version") == 1, "the targets in the report")
    assert found["targets"]["accuracy"] == 0.9 and found["targets_version"]["division_code"] == township
    page = await audit.get(f"/v1/audit/reports/monthly/{month}", headers=supervisor,
                           params={"division_code": township, "format": "html"})
    assert f"目标：{township} 设定的第 1 版" in page.text


async def test_odd_but_possible_asks_answer_without_a_server_error(audit, settings):
    supervisor = headers(settings, org="532503")
    asks = [("GET", "/v1/audit/assessment", {"division_code": TOWN, "month": "1990-01"}, {}, 200),
            ("GET", "/v1/audit/assessment", {"division_code": TOWN, "month": "2026-11", "rows": "communities",
                                             "format": "xlsx"}, {}, 200),
            ("GET", "/v1/audit/assessment", {"month": "2026-11", "rows": "collectors", "cursor": "bm9wZQ"}, {}, 422),
            ("GET", "/v1/audit/assessment", {"month": "2026-13"}, {}, 422),
            ("GET", "/v1/audit/baselines", {"as_of": "1990-01-01T00:00:00Z"}, {}, 200),
            ("GET", "/v1/audit/targets", {"division_code": "5"}, {}, 422),
            ("PUT", "/v1/audit/targets", {}, {"json": {"division_code": TOWN, "targets": {"accuracy": "NaN"}}}, 422),
            ("POST", "/v1/audit/baselines/imports", {"division_code": TOWN}, {"content": b""}, 422)]
    for method, path, params, body, expected in asks:
        response = await audit.request(method, path, params=params, headers=supervisor, **body)
        assert response.status_code == expected, (path, params, response.text[:300])
    admin = await audit.get("/v1/audit/assessment", headers=headers(settings, "admin", "11"), params={"month": "2026-11"})
    assert admin.status_code == 200, admin.text
