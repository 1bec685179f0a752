"""Issue 18's sweeps (院不漏房、房不漏人) on the real stack: a small town planted in 观澜街道 (532503003, a township no
other test writes to) with one gap of each kind (five sweeps) beside its filled counterpart; each list holds exactly the planted
gaps of that division, says what to do next, and a gap filled (a tenant moves in) drops off its list.

Every wait polls with a generous deadline: the house and unit services learn plates and persons from Kafka.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from contracts.address_codes import room_code
from contracts.buildings import BuildingSpec, iter_rooms
from contracts.envelope import Actor, EventEnvelope
from contracts.person import PersonRegistered, ResidenceRegistered
from contracts.topics import events_topic
from services.house.occupants import OCCUPANTS
from services.kernel.web.auth import mint_token
from services.unit.persons import UNIT_PERSONS
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.person_facts import linkable
from tests.integration.test_house_unit_lifecycle import once_known, posted, services  # noqa: F401 - services: the fixture
from tests.integration.views_story import registered

pytestmark = pytest.mark.integration

TOWN = "532503003"  #: 观澜街道, 蒙自市: the planted town's own division
DEADLINE = 90.0
COLLECTOR = {"Authorization": "Bearer " + mint_token("CL-0018", "collector", "532503")}
NEIGHBOUR = {"Authorization": "Bearer " + mint_token("CL-0019", "collector", "532502")}  # 个旧市


async def published(settings, person_id: str, payloads: list[tuple[str, object]], first_version: int = 1) -> None:
    """``payloads`` as the person's events from ``first_version`` on, on the real person topic."""
    now = datetime.now(timezone.utc)
    actor = Actor(id="PC-SWEEP", role="police", organisation_code="532503")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for version, (event_type, payload) in enumerate(payloads, start=first_version):
            event = EventEnvelope(event_type=event_type, stream_id=f"person-{person_id}", stream_type="Person",
                                  version=version, occurred_at=now, recorded_at=now, actor=actor,
                                  correlation_id=f"sweep-{person_id}", division_code=TOWN,
                                  payload=payload.model_dump(mode="json"))
            await producer.send_and_wait(events_topic("person", settings.namespace), event.to_bytes(),
                                         key=event.stream_id.encode(), headers=event.kafka_headers())
    finally:
        await producer.stop()


def residence(person_id: str, address_code: str, moved_in: str = "2026-10-01") -> tuple[str, ResidenceRegistered]:
    return ("ResidenceRegistered", ResidenceRegistered(
        person_id=person_id, address_code=address_code, moved_in=moved_in, reason="自有住房", residence_type="own",
        division_code=TOWN))


async def resident_at(settings, address_code: str) -> str:
    """A person registered in the town whose current residence is ``address_code`` (two events: versions 1, 2)."""
    person_id = f"P-{uuid.uuid4().hex[:12]}"
    await published(settings, person_id, [
        ("PersonRegistered", PersonRegistered.model_validate({
            **registered(f"53250{uuid.uuid4().int % 10**13:013d}", "清查住户"), "person_id": person_id,
            "division_code": TOWN})),
        residence(person_id, address_code)])
    return person_id


async def listed(client, path: str, key: str, expected: set[str], headers: dict = COLLECTOR) -> list[dict]:
    """Poll the sweep of the town until its items' ``key`` are exactly ``expected``; the last page's items."""
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while True:
        response = await client.get(path, params={"division_code": TOWN, "limit": 50}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found = {item[key] for item in body["items"]}
        if found == expected and body["total"] == len(expected) and body["next_cursor"] is None:
            return body["items"]
        assert asyncio.get_running_loop().time() < deadline, f"{path}: {sorted(found)} != {sorted(expected)}"
        await asyncio.sleep(0.5)


async def test_each_sweep_holds_exactly_the_planted_gaps_and_a_filled_gap_drops_off(
        address_client, services, police_headers, settings):
    house, unit = services
    road = unique_name()
    plates = {n: (await register_doorplate(address_client, police_headers, road, n, division_code=TOWN))["code"]
              for n in ("1", "2", "3", "4", "5", "6")}
    building = {"building": "1栋", "units": 1, "floors": 3, "rooms_per_floor": 2}  # plate 6 has rooms (生成层户)
    await posted(address_client, f"/v1/doorplates/{plates['6']}/buildings", building, police_headers, 201)
    room = room_code(plates["6"], 1, next(iter_rooms(BuildingSpec(units=1, floors=3, rooms_per_floor=2))))
    at_plate = await resident_at(settings, plates["6"])  # lives at the plate although the building has rooms

    def registering(number: str, use: str) -> dict:
        return {"address_code": plates[number], "property_nature": "private", "use": use, "rooms": 3}

    empty = await once_known(house, "/v1/houses", registering("2", "self_occupied"), police_headers, 201)
    lived_in = await once_known(house, "/v1/houses", registering("3", "self_occupied"), police_headers, 201)
    await resident_at(settings, plates["3"])
    untenanted = await once_known(house, "/v1/houses", registering("4", "rented"), police_headers, 201)
    tenanted = await once_known(house, "/v1/houses", registering("5", "rented"), police_headers, 201)
    rental = {"lessor": {"name": "李四"}, "rooms_let": 2, "start": "2026-10-01", "security_person": {"name": "李四"}}
    open_rental = await posted(house, f"/v1/houses/{untenanted['house_id']}/rentals", rental, police_headers, 201)
    let = await posted(house, f"/v1/houses/{tenanted['house_id']}/rentals", rental, police_headers, 201)
    tenant = await linkable(settings, house, OCCUPANTS, division=TOWN)
    await posted(house, f"/v1/houses/{tenanted['house_id']}/rentals/{let['rental_id']}/tenants",
                 {"person_id": tenant, "moved_in": "2026-10-02"}, police_headers, 201)
    shop = {"industry_code": "F52", "unit_type": "individual_business", "address_code": plates["3"],
            "opened_on": "2020-05-01"}
    unstaffed = await once_known(unit, "/v1/units", {**shop, "name": unique_name("商店")}, police_headers, 201)
    staffed = await once_known(unit, "/v1/units", {**shop, "name": unique_name("超市")}, police_headers, 201)
    employee = await linkable(settings, unit, UNIT_PERSONS, division=TOWN)
    await posted(unit, f"/v1/units/{staffed['unit_id']}/employees",
                 {"person_id": employee, "position": "店员", "hired": "2026-01-05"}, police_headers, 201)

    bare = await listed(house, "/v1/sweeps/plates-without-house", "address_code", {plates["1"], plates["6"]})
    assert {item["address_code"]: item["next_step"] for item in bare} == {plates["1"]: "登记房屋",
                                                                         plates["6"]: "按房间登记房屋"}
    assert {item["division_code"] for item in bare} == {TOWN}
    vacant = await listed(house, "/v1/sweeps/houses-without-residents", "house_id", {empty["house_id"]})
    assert vacant[0]["next_step"] == "核实是否空置" and vacant[0]["address_code"] == plates["2"]
    assert lived_in["house_id"] != empty["house_id"]
    untenanted_rows = await listed(house, "/v1/sweeps/rentals-without-tenants", "rental_id",
                                   {open_rental["rental_id"]})
    assert untenanted_rows[0]["house_id"] == untenanted["house_id"] and untenanted_rows[0]["next_step"] == "登记承租人"
    unroomed = await listed(house, "/v1/sweeps/residents-at-plates-with-rooms", "person_id", {at_plate})
    assert unroomed[0]["address_code"] == plates["6"] and unroomed[0]["next_step"] == "选择房间更正居住地址"
    idle = await listed(unit, "/v1/sweeps/units-without-employees", "unit_id", {unstaffed["unit_id"]})
    assert idle[0]["next_step"] == "登记从业人员"

    outside = await house.get("/v1/sweeps/plates-without-house", params={"division_code": TOWN},
                              headers=NEIGHBOUR)
    assert outside.status_code == 200 and outside.json()["total"] == 0, "another county's collector sees none"
    wrong = await house.get("/v1/sweeps/plates-without-house", params={"division_code": "观澜"}, headers=COLLECTOR)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "division_code"], wrong.text

    newcomer = await linkable(settings, house, OCCUPANTS, division=TOWN)
    await posted(house, f"/v1/houses/{untenanted['house_id']}/rentals/{open_rental['rental_id']}/tenants",
                 {"person_id": newcomer, "moved_in": "2026-10-05"}, police_headers, 201)
    await listed(house, "/v1/sweeps/rentals-without-tenants", "rental_id", set())
    await posted(house, "/v1/houses", registering("1", "self_occupied"), police_headers, 201)
    await once_known(house, "/v1/houses", {**registering("6", "self_occupied"), "address_code": room},
                     police_headers, 201)  # one room's house fills the plate
    await listed(house, "/v1/sweeps/plates-without-house", "address_code", set())
    await published(settings, at_plate, [residence(at_plate, room, "2026-11-01")], first_version=3)
    await listed(house, "/v1/sweeps/residents-at-plates-with-rooms", "person_id", set())
    hire = await linkable(settings, unit, UNIT_PERSONS, division=TOWN)
    await posted(unit, f"/v1/units/{unstaffed['unit_id']}/employees",
                 {"person_id": hire, "position": "店长", "hired": "2026-11-01"}, police_headers, 201)
    await listed(unit, "/v1/sweeps/units-without-employees", "unit_id", set())
