"""境外人员住宿变更 on the real stack (issue 18): a foreigner renting a flat moves into a hotel, then into another
rented flat recorded too late; the residence, 查人知住 and the 24-hour registration flag (in the record and in the
deadlines list) follow each change, each its own event."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from services.person.commands import ChangeAccommodation
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_person_api import (  # noqa: F401 - person_client: the person service, in-process
    CHINA, POLICE, headers, person_body, person_client, read, register, residences,
)
from tests.integration.test_person_lifecycle import OTHER_COUNTY_POLICE, PATIENCE, attempt, listed, moved_in

pytestmark = pytest.mark.integration


async def changed(client, person: dict, body: dict) -> dict:
    """住宿变更 to a plate just registered: the person service's address replica may not know it yet (422 on
    address_code until it does), so the change is retried within PATIENCE."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        response = await attempt(client, person, "accommodation", body)
        if response.status_code != 422 or asyncio.get_running_loop().time() > deadline:
            assert response.status_code == 200, response.text
            return response.json()
        assert response.json()["detail"][0]["loc"][-1] == "address_code", response.text
        await asyncio.sleep(0.5)


async def whereabouts_at(client, person_id: str, address_code: str) -> dict:
    """查人知住 once it shows the person at ``address_code`` (its projection follows within seconds)."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        response = await client.get(f"/v1/persons/{person_id}/whereabouts", headers=POLICE)
        assert response.status_code == 200, response.text
        residence = response.json().get("residence") or {}
        if residence.get("address_code") == address_code:
            return residence
        assert asyncio.get_running_loop().time() < deadline, f"whereabouts never showed {address_code}: {residence}"
        await asyncio.sleep(0.5)


async def test_a_foreigner_s_accommodation_changes_move_the_residence_and_the_registration_flag(
        person_client, address_client, police_headers):
    now = datetime.now(CHINA)
    road = unique_name()
    flat, hotel, other_flat = [await register_doorplate(address_client, police_headers, road, number)
                               for number in ("3", "5", "7")]
    foreigner = await register(person_client, person_body(
        "foreigner", entry_date=str((now - timedelta(days=10)).date()), arrived_at=(now - timedelta(days=9)).isoformat(),
        accommodation="rental"))
    pid = foreigner["person_id"]
    home = await moved_in(person_client, foreigner, flat["code"], moved_in=str((now - timedelta(days=9)).date()),
                          reason="务工", residence_type="rental")

    example = ChangeAccommodation.model_json_schema()["examples"][0]  # the documented body, with a live plate
    to_hotel = {**example, "address_code": hotel["code"], "arrived_at": (now - timedelta(hours=30)).isoformat(),
                "expected_version": home["version"]}
    missing = await attempt(person_client, foreigner, "accommodation", {"address_code": hotel["code"]})
    assert {e["loc"][-1] for e in missing.json()["detail"]} == {"accommodation", "arrived_at"}, missing.text
    future = await attempt(person_client, foreigner, "accommodation",
                           {**to_hotel, "arrived_at": (now + timedelta(hours=2)).isoformat()})
    assert future.status_code == 422 and future.json()["detail"][0]["loc"][-1] == "arrived_at", future.text
    elsewhere = await attempt(person_client, foreigner, "accommodation", to_hotel, OTHER_COUNTY_POLICE)
    assert elsewhere.status_code in (403, 404), elsewhere.text
    agency = await attempt(person_client, foreigner, "accommodation", to_hotel, headers("agency"))
    assert agency.status_code == 403, agency.text
    migrant = await register(person_client, person_body("migrant"))
    not_foreigner = await attempt(person_client, migrant, "accommodation", {**to_hotel, "expected_version": None})
    assert not_foreigner.status_code == 422, not_foreigner.text
    assert not_foreigner.json()["detail"][0]["type"] == "accommodation.not_foreigner", not_foreigner.text

    in_hotel = await changed(person_client, foreigner, to_hotel)
    assert in_hotel["version"] == home["version"] + 1, "one event of its own"
    record = await read(person_client, in_hotel)
    assert (record["details"]["accommodation"], record["details"]["host_unit"]) == ("hotel", example["host_unit"])
    assert "foreigner_registered_late" not in record["flags"], "a hotel registers its guests itself"
    past, current = sorted(await residences(person_client, in_hotel), key=lambda r: r["moved_in"])
    assert (past["address_code"], past["moved_out"]) == (flat["code"], current["moved_in"])
    assert (current["address_code"], current["residence_type"], current["current"]) == (hotel["code"], "hotel", True)
    assert (await whereabouts_at(person_client, pid, hotel["code"]))["residence_type"] == "hotel"

    late = await changed(person_client, foreigner, {"accommodation": "rental", "address_code": other_flat["code"],
                                                    "arrived_at": (now - timedelta(hours=26)).isoformat()})
    record = await read(person_client, late)
    assert "foreigner_registered_late" in record["flags"], "recorded 26 hours after arriving at a rented flat"
    assert await listed(person_client, "foreigner_registered_late", pid, present=True)
    assert (await whereabouts_at(person_client, pid, other_flat["code"]))["since"] == str(
        (now - timedelta(hours=26)).date())
    same = await attempt(person_client, foreigner, "accommodation", {"accommodation": "rental",
                                                                     "address_code": other_flat["code"],
                                                                     "arrived_at": now.isoformat()})
    assert same.status_code == 422 and same.json()["detail"][0]["loc"][-1] == "address_code", same.text
