"""以业管人 through the route, paged: a unit's employees longer than one page are walked completely, current ones
first, with the whole list's total on every page, and the whole list exports as CSV (issue 17: no hidden cap)."""

from __future__ import annotations

import csv
import io

import pytest

from services.unit.persons import UNIT_PERSONS
from tests.integration.person_facts import linkable
from tests.integration.test_unit_registry import plate_known_to_units, post, register_unit, unit_client  # noqa: F401

pytestmark = pytest.mark.integration


async def test_a_units_employees_longer_than_a_page_are_walked_completely(address_client, unit_client,  # noqa: F811
                                                                         police_headers, settings):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    unit = await register_unit(unit_client, police_headers, plate["code"], name="丙厂")
    path = f"/v1/units/{unit['unit_id']}/employees"
    persons = [await linkable(settings, unit_client, UNIT_PERSONS) for _ in range(5)]
    accepted = None
    for number, person in enumerate(persons):
        accepted = await post(unit_client, police_headers, path,
                              {"person_id": person, "position": f"工人{number}", "hired": "2025-01-05"}, expect=201)
    accepted = await post(unit_client, police_headers, f"{path}/{persons[1]}/leave", {"left": "2026-02-01"})

    pages, cursor = [], None
    while True:
        params = {"limit": 2, "min_version": accepted["version"], **({"cursor": cursor} if cursor else {})}
        response = await unit_client.get(path, params=params, headers=police_headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(pages) == 3 and all(page["total"] == 5 and page["count_current"] == 4 for page in pages)
    walked = [item["person_id"] for page in pages for item in page["items"]]
    assert walked == [persons[0], *persons[2:], persons[1]]  # current (in hiring order), then the one who left
    assert [e["person_id"] for e in pages[0]["current"]] == walked[:2] and pages[0]["past"] == []
    assert [e["person_id"] for e in pages[2]["past"]] == [persons[1]]

    exported = await unit_client.get(path, params={"format": "csv"}, headers=police_headers)
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row["person_id"] for row in rows] == walked

    bad = await unit_client.get(path, params={"cursor": "not-a-cursor"}, headers=police_headers)
    assert bad.status_code == 422 and "cursor" in bad.text
