"""Rebuilding every person read model (the registry with key persons, and the address replica) from offset 0
equals the live model."""

from __future__ import annotations

from services.kernel.operations.rebuild import rebuild
from services.person.projections import addresses, registry
from tests.integration.address_helpers import read_doorplate, register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_person_api import POLICE, SUPERVISOR, known_to_replica, person_body, register
from tests.integration.test_person_api import person_client  # noqa: F401 - the fixture
from tests.integration.test_rebuild import caught_up_with_the_log, snapshot


def fields_differing(rebuilt: dict | None, live: dict | None) -> dict:
    if rebuilt is None or live is None:
        return {"document": (rebuilt, live)}
    return {key: (rebuilt.get(key), live.get(key)) for key in set(rebuilt) | set(live) if rebuilt.get(key) != live.get(key)}


async def post(client, path: str, body: dict, as_: dict = POLICE) -> dict:
    response = await client.post(path, json=body, headers=as_)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_rebuild_of_every_person_read_model_equals_live(person_client, address_client, police_headers, settings):
    road = unique_name()
    plate = await register_doorplate(address_client, police_headers, road, "6")
    other = await register_doorplate(address_client, police_headers, road, "8")
    await known_to_replica(person_client, plate["code"])
    await known_to_replica(person_client, other["code"])
    place_code = (await read_doorplate(address_client, police_headers, plate))["place_code"]
    renamed = await address_client.post(f"/v1/places/{place_code}/rename", json={"new_name": unique_name("街")},
                                        headers=police_headers)
    assert renamed.status_code == 200, renamed.text

    migrant = await register(person_client, person_body("migrant"))
    pid = migrant["person_id"]
    await post(person_client, f"/v1/persons/{pid}/residence",
               {"address_code": plate["code"], "moved_in": "2026-01-06", "reason": "务工"})
    await post(person_client, f"/v1/persons/{pid}/residence",
               {"address_code": other["code"], "moved_in": "2026-03-06", "reason": "市内迁移"})
    await post(person_client, f"/v1/persons/{pid}/move-out", {"moved_out": "2026-04-01", "reason": "离开"})
    await post(person_client, f"/v1/persons/{pid}/corrections", {"changes": {"occupation": "电工"}, "reason_code": "01"})
    await post(person_client, f"/v1/persons/{pid}/renewal", {"valid_until": "2028-01-01"})
    await post(person_client, f"/v1/persons/{pid}/category", {"details": {
        "category": "registered", "household_number": "5325030099", "relation_to_head": "户主",
        "lives_at_registered_address": True}, "reason": "落户"})
    first = await register(person_client, person_body("registered"))
    duplicate_body = {**person_body("registered"), "legacy_import": True}
    survivor = await register(person_client, duplicate_body)
    duplicate = await register(person_client, duplicate_body)
    await post(person_client, f"/v1/persons/{duplicate['person_id']}/merge", {"survivor_id": survivor["person_id"]})
    await post(person_client, f"/v1/persons/{first['person_id']}/cancel",
               {"reason": "death", "cancelled_on": "2026-05-01"})
    key = await post(person_client, "/v1/key-persons", {
        "person_id": survivor["person_id"], "category_code": "05", "problem": "前科", "responsible_unit": "文澜派出所",
        "responsible_officer": "PC-1", "control_level": "3"})
    await post(person_client, f"/v1/key-persons/{key['key_person_id']}/approve", {"remark": "同意"}, SUPERVISOR)
    await post(person_client, f"/v1/key-persons/{key['key_person_id']}/recategorize",
               {"to_category_code": "09", "reason": "刑满释放"})
    last = await post(person_client, f"/v1/key-persons/{key['key_person_id']}/reject", {"remark": "不符"}, SUPERVISOR)
    assert last["state"] == "listed"

    rt = person_client.fastapi.state.runtime
    for projection in (registry, addresses):
        live = rt.runners[projection.name].generation
        await caught_up_with_the_log(settings, rt.runners[projection.name])
        report = await rebuild(settings, "person", projection, swap=False)
        assert report.generation == live + 1 and report.events > 0
        for logical in projection.collections:
            rebuilt, current = await snapshot(rt.db, logical, report.generation), await snapshot(rt.db, logical, live)
            assert rebuilt, f"{projection.name}/{logical} rebuilt empty"
            differing = {key: fields_differing(rebuilt.get(key), current.get(key))
                         for key in set(rebuilt) | set(current) if rebuilt.get(key) != current.get(key)}
            assert not differing, f"{projection.name}/{logical} (rebuilt, live): {list(differing.items())[:3]}"
