"""逻辑错误 and address coverage over HTTP on the real stack: each error raised by the event that causes it,
listed per division with the records involved, and cleared by the later event that fixes it."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_house_registry import house_client  # noqa: F401 - the fixture
from tests.integration.test_person_api import POLICE, fresh_id, known_to_replica, person_body, register
from tests.integration.test_person_api import person_client  # noqa: F401 - the fixture
from tests.integration.test_unit_registry import unit_client  # noqa: F401 - the fixture
from tests.integration.test_views_family import ELSEWHERE, get, known_to, post, token

pytestmark = pytest.mark.integration


async def errors_of(client, person_id: str, rule: str, path: str = "/v1/persons/logic-errors", **params) -> list:
    found = await get(client, path, rule=rule, **params)
    return [item for item in found["items"] if item.get("person_id") == person_id]


async def test_person_logic_errors_raised_and_cleared(address_client, person_client, unit_client):
    # sex contradicting the ID number, kept from a legacy import; corrected → cleared
    legacy = person_body("registered", legacy_import=True, sex="male")
    legacy["document_number"] = fresh_id(date.fromisoformat(legacy["birth_date"]), sex="female")
    imported = await register(person_client, legacy)
    [error] = await errors_of(person_client, imported["person_id"], "person.identity_mismatch", after=token(imported))
    assert error["fields"] == ["sex"] and error["division_code"] == "532503001"
    fixed = await post(person_client, f"/v1/persons/{imported['person_id']}/corrections",
                       {"changes": {"sex": "female"}, "reason_code": "01", "remark": "历史数据纠错"})
    assert await errors_of(person_client, imported["person_id"], "person.identity_mismatch", after=token(fixed)) == []

    # a cancelled person still employed; the unit records the leaving → cleared
    plate = await register_doorplate(address_client, POLICE, unique_name(), "5")
    await known_to(unit_client, "unit-addresses", plate["code"])
    worker = await register(person_client, person_body("migrant"))
    unit = await post(unit_client, "/v1/units", {"name": "蒙自某餐馆", "industry_code": "H62",
                                                  "address_code": plate["code"], "unit_type": "individual_business"})
    hired = await post(unit_client, f"/v1/units/{unit['unit_id']}/employees",
                       {"person_id": worker["person_id"], "position": "厨师", "hired": "2026-01-05"})
    cancelled = await post(person_client, f"/v1/persons/{worker['person_id']}/cancel",
                           {"reason": "moved_away", "cancelled_on": "2026-10-01"})
    [error] = await errors_of(person_client, worker["person_id"], "unit.employee_cancelled",
                              after=[token(hired), token(cancelled)])
    assert error["unit_id"] == unit["unit_id"]
    summary = await get(person_client, "/v1/persons/logic-errors", rule="unit.employee_cancelled")
    assert summary["per_division"]["532503001"]["unit.employee_cancelled"] >= 1
    elsewhere = await get(person_client, "/v1/persons/logic-errors", as_=ELSEWHERE, rule="unit.employee_cancelled")
    assert worker["person_id"] not in [item["person_id"] for item in elsewhere["items"]], "another township's list"
    left = await post(unit_client, f"/v1/units/{unit['unit_id']}/employees/{worker['person_id']}/leave",
                      {"left": "2026-10-01"})
    assert await errors_of(person_client, worker["person_id"], "unit.employee_cancelled", after=token(left)) == []

    # a migrant whose registration expired (judged as of a day); renewed → cleared
    body = person_body("migrant")
    body["registration_valid_until"] = "2027-01-31"
    migrant = await register(person_client, body)
    [error] = await errors_of(person_client, migrant["person_id"], "person.migrant_expired", as_of="2027-02-15",
                              after=token(migrant))
    assert error["registration_valid_until"] == "2027-01-31"
    assert await errors_of(person_client, migrant["person_id"], "person.migrant_expired", as_of="2027-01-15") == []
    renewed = await post(person_client, f"/v1/persons/{migrant['person_id']}/renewal", {"valid_until": "2027-06-30"})
    assert await errors_of(person_client, migrant["person_id"], "person.migrant_expired", as_of="2027-02-15",
                           after=token(renewed)) == []

    # a resident at an address that is then retired; address coverage counts it; moving elsewhere clears it
    doomed = await register_doorplate(address_client, POLICE, unique_name(), "7")
    other = await register_doorplate(address_client, POLICE, unique_name(), "9")
    for code in (doomed["code"], other["code"]):
        await known_to_replica(person_client, code)
    resident = await register(person_client, person_body("migrant"))
    moved = await post(person_client, f"/v1/persons/{resident['person_id']}/residence",
                       {"address_code": doomed["code"], "moved_in": "2026-02-01", "reason": "务工"})
    await post(address_client, f"/v1/doorplates/{doomed['code']}/retire", {"reason": "拆迁"})
    await known_to_replica(person_client, doomed["code"], lambda a: a.status == "retired")
    [error] = await errors_of(person_client, resident["person_id"], "person.resident_at_retired_address",
                              after=token(moved))
    assert error["address_code"] == doomed["code"]
    coverage = await get(person_client, "/v1/persons/address-coverage", limit=1000)
    assert {"person_id": resident["person_id"], "division_code": "532503001", "address_code": doomed["code"],
            "problem": "retired"} in coverage["items"]
    assert coverage["per_division"]["532503001"]["retired"] >= 1
    away = await post(person_client, f"/v1/persons/{resident['person_id']}/residence",
                      {"address_code": other["code"], "moved_in": "2026-11-01", "reason": "拆迁安置"})
    assert await errors_of(person_client, resident["person_id"], "person.resident_at_retired_address",
                           after=token(away)) == []


async def test_a_house_let_while_its_use_says_otherwise_and_house_coverage(address_client, house_client):
    plate = await register_doorplate(address_client, POLICE, unique_name(), "11")
    await known_to(house_client, "house-addresses", plate["code"])
    house = await post(house_client, "/v1/houses", {"address_code": plate["code"], "property_nature": "private",
                                                    "use": "self_occupied", "rooms": 2, "area": 60})
    rental = await post(house_client, f"/v1/houses/{house['house_id']}/rentals", {
        "lessor": {"name": "王强"}, "lessor_role": "owner", "rooms_let": 1, "start": "2026-03-01",
        "security_person": {"name": "王强"}})
    found = await get(house_client, "/v1/houses/logic-errors", after=token(rental))
    [error] = [item for item in found["items"] if item["house_id"] == house["house_id"]]
    assert error["rule"] == "house.let_not_rented" and error["rentals"][0]["rental_id"] == rental["rental_id"]
    assert found["per_division"]["532503001"]["house.let_not_rented"] >= 1
    changed = await post(house_client, f"/v1/houses/{house['house_id']}/use", {"use": "rented", "reason": "出租"})
    found = await get(house_client, "/v1/houses/logic-errors", after=token(changed))
    assert [item for item in found["items"] if item["house_id"] == house["house_id"]] == []

    await post(address_client, f"/v1/doorplates/{plate['code']}/retire", {"reason": "拆迁"})
    await known_to(house_client, "house-addresses", plate["code"], lambda a: a is not None and a.status == "retired")
    coverage = await get(house_client, "/v1/houses/address-coverage", limit=1000)
    assert {"house_id": house["house_id"], "division_code": "532503001", "address_code": plate["code"],
            "problem": "retired"} in coverage["items"]


async def test_unit_address_coverage_lists_a_unit_whose_door_plate_is_retired(address_client, unit_client):
    plate = await register_doorplate(address_client, POLICE, unique_name(), "13")
    await known_to(unit_client, "unit-addresses", plate["code"])
    unit = await post(unit_client, "/v1/units", {"name": "蒙自某商店", "industry_code": "F52",
                                                  "address_code": plate["code"], "unit_type": "individual_business"})
    await post(address_client, f"/v1/doorplates/{plate['code']}/retire", {"reason": "拆迁"})
    await known_to(unit_client, "unit-addresses", plate["code"], lambda a: a is not None and a.status == "retired")
    await get(unit_client, f"/v1/units/{unit['unit_id']}", min_version=unit["version"])
    coverage = await get(unit_client, "/v1/units/address-coverage", limit=1000)
    assert {"unit_id": unit["unit_id"], "division_code": "532503001", "address_code": plate["code"],
            "problem": "retired"} in coverage["items"]
    elsewhere = await get(unit_client, "/v1/units/address-coverage", as_=ELSEWHERE, limit=1000)
    assert unit["unit_id"] not in [item["unit_id"] for item in elsewhere["items"]]
