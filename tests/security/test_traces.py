"""Every read of personal data leaves a trace (issue 16), replayed against the running services.

As found: a 403 or 404 left no access-log entry (a neighbouring county could probe person ids unseen, and the
audit's "many persons outside the jurisdiction" rule never saw the probes); category searches, deadline lists
and the audit log left none either; ``min_version`` answered 422 "version N was never written" about a record of
another jurisdiction before refusing it, and ``after=`` waited on another jurisdiction's stream (503 or 200: how
far it got); a merged door plate's redirect showed a survivor of another jurisdiction; ``/v1/addresses/match``
returned candidates of every county and was not logged.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.audit.domain.access_rules import AccessRules, flags
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_person_api import person_body
from tests.security.services import GEJIU, GEJIU_TOWNSHIP, MENGZI, running, token

pytestmark = pytest.mark.integration

POLICE, SUPERVISOR = token("police", MENGZI, "PC-MZ"), token("supervisor", MENGZI, "SV-MZ")
ADMIN = token("admin", "53", "AD-1")


@pytest.fixture(scope="module")
async def world():
    async with running("address", "person", "audit") as clients:
        yield clients


async def access_entries(client, query: dict, at_least: int = 1, timeout: float = 90.0) -> list[dict]:
    """The access-log events of ``client``'s service matching ``query`` (the log is written on the read path,
    polled anyway: a generous deadline, never a fixed wait)."""
    db = client.fastapi.state.runtime.db
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await db["access_log"].find(query).to_list(1000)
        if len(found) >= at_least or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def mengzi_person(world) -> dict:
    response = await world["person"].post("/v1/persons", json=person_body("registered"), headers=POLICE)
    assert response.status_code == 201, response.text
    accepted = response.json()
    seen = await world["person"].get(f"/v1/persons/{accepted['person_id']}",
                                     params={"min_version": accepted["version"]}, headers=POLICE)
    assert seen.status_code == 200, seen.text  # in the read model: a refusal below is about jurisdiction only
    return accepted


async def test_refused_and_unknown_lookups_are_logged_and_probing_many_persons_flags_the_prober(world):
    prober_id = f"PC-PROBE-{uuid.uuid4().hex[:8]}"
    prober = token("police", GEJIU, prober_id)
    probed = [await mengzi_person(world) for _ in range(3)]
    for person in probed:
        refused = await world["person"].get(f"/v1/persons/{person['person_id']}", headers=prober)
        assert refused.status_code == 403
    missing = await world["person"].get("/v1/persons/P-nobody-here", headers=prober)
    assert missing.status_code == 404
    mine = await access_entries(world["person"], {"payload.outcome": {"$in": ["refused", "not_found"]},
                                                  "actor.id": prober_id}, at_least=4)
    assert {e["payload"]["outcome"] for e in mine} == {"refused", "not_found"}, "as found: nothing was logged"
    refused_entries = [e for e in mine if e["payload"]["outcome"] == "refused"]
    assert {e["payload"]["record_id"] for e in refused_entries} == {p["person_id"] for p in probed}
    assert all(e["division_code"].startswith(MENGZI) and e["payload"]["record_type"] == "person"
               for e in refused_entries)
    raised = flags(mine, AccessRules(outside_persons=3, night_reads=10**6), datetime.now(timezone.utc))
    assert [(flag["rule"], flag["count"]) for flag in raised] == [("outside_jurisdiction", 3)]


async def test_a_document_number_registered_elsewhere_answers_as_never_registered_and_is_traced(world):
    """查人知住 by document number from another county answered 403 naming the township that holds the number."""
    body = person_body("registered")
    response = await world["person"].post("/v1/persons", json=body, headers=POLICE)
    assert response.status_code == 201, response.text
    person_id = response.json()["person_id"]
    own = await world["person"].get(f"/v1/persons/{person_id}/whereabouts",
                                    params={"min_version": response.json()["version"]}, headers=POLICE)
    assert own.status_code == 200, own.text
    asker_id = f"GW-GJ-{uuid.uuid4().hex[:8]}"
    elsewhere = await world["person"].get("/v1/persons/whereabouts", headers=token("collector", GEJIU, asker_id),
                                          params={"document_number": body["document_number"]})
    never = await world["person"].get("/v1/persons/whereabouts", headers=token("collector", GEJIU, asker_id),
                                      params={"document_number": "532502199001010012"})
    assert elsewhere.status_code == never.status_code == 404, f"as found: 403 naming its division ({elsewhere.text})"
    assert MENGZI not in elsewhere.text
    traced = await access_entries(world["person"], {"actor.id": asker_id, "payload.outcome": "refused"})
    assert traced and traced[-1]["payload"]["record_id"] == person_id
    assert traced[-1]["division_code"].startswith(MENGZI)


async def test_category_searches_deadline_lists_and_the_audit_log_are_logged_with_what_came_back(world):
    person = await mengzi_person(world)
    search = await world["person"].get("/v1/persons", params={"category": "registered", "limit": 5},
                                       headers=POLICE)
    assert search.status_code == 200 and search.json()["total"] >= 1
    logged = await access_entries(world["person"], {"payload.lookup.category": "registered",
                                                    "actor.id": "PC-MZ"})
    assert logged, "as found: a category search left no trace"
    assert logged[-1]["payload"]["result_count"] == len(logged[-1]["payload"]["records"]) >= 1
    deadlines = await world["person"].get("/v1/persons/deadlines",
                                          params={"flag": "residence_permit_expired"}, headers=POLICE)
    assert deadlines.status_code == 200
    assert await access_entries(world["person"], {"payload.lookup.flag": "residence_permit_expired",
                                                  "actor.id": "PC-MZ"})
    log = await world["audit"].get("/v1/audit/log", params={"entity_type": "Person", "page_size": 5},
                                   headers=SUPERVISOR)
    assert log.status_code == 200
    traced = await access_entries(world["audit"], {"payload.record_type": "audit_log", "actor.id": "SV-MZ"})
    assert traced and traced[-1]["payload"]["lookup"]["entity_type"] == "Person"
    assert traced[-1]["payload"]["result_count"] == len(log.json()["items"])
    for path, record_type in (("/v1/watch/key-persons", "key_person"), ("/v1/watch/alerts", "key_person_alert"),
                              ("/v1/key-persons", "key_person")):
        listed = await world["person"].get(path, params={"limit": 7}, headers=POLICE)
        assert listed.status_code == 200, listed.text
        traced = await access_entries(world["person"], {"payload.route": path, "actor.id": "PC-MZ"})
        assert traced and traced[-1]["payload"]["record_type"] == record_type, f"{path}: as found, no trace"
        assert traced[-1]["payload"]["lookup"] == {"limit": "7"}
        assert traced[-1]["payload"]["result_count"] == len(listed.json()["items"])
    assert person["person_id"]


async def test_min_version_and_after_say_nothing_about_another_jurisdictions_record(world):
    person = await mengzi_person(world)
    neighbour = token("police", GEJIU, "PC-GJ-2")
    ahead = await world["person"].get(f"/v1/persons/{person['person_id']}", params={"min_version": 999},
                                      headers=neighbour)
    assert ahead.status_code == 403, "as found: 422 'version 999 was never written' (the stream's length)"
    assert "999" not in ahead.text
    reached = await world["person"].get(f"/v1/persons/{person['person_id']}",
                                        params={"min_version": person["version"]}, headers=neighbour)
    assert reached.status_code == 403
    own = await world["person"].get(f"/v1/persons/{person['person_id']}", params={"min_version": person["version"]},
                                    headers=POLICE)
    assert own.status_code == 200
    # after=: a view waiting on another jurisdiction's stream answered 503 (not yet) or 200 (reached)
    token_ahead = f"person-{person['person_id']}:999"
    probe = await world["person"].get("/v1/persons/logic-errors", params={"after": token_ahead}, headers=neighbour)
    assert probe.status_code == 403, f"as found: 503 after waiting ({probe.status_code}: {probe.text})"
    mine = await world["person"].get("/v1/persons/logic-errors", headers=POLICE,
                                     params={"after": f"person-{person['person_id']}:{person['version']}"})
    assert mine.status_code == 200, mine.text


async def test_a_merged_plates_redirect_checks_the_survivors_jurisdiction(world):
    road = unique_name()
    duplicate = await register_doorplate(world["address"], ADMIN, road, "6")
    survivor = await register_doorplate(world["address"], ADMIN, unique_name(), "9", division_code=GEJIU_TOWNSHIP)
    for plate in (duplicate, survivor):
        read = await world["address"].get(f"/v1/doorplates/{plate['code']}",
                                          params={"min_version": plate["version"]}, headers=ADMIN)
        assert read.status_code == 200, read.text
    merged = await world["address"].post(f"/v1/doorplates/{duplicate['code']}/merge", headers=ADMIN,
                                         json={"survivor_code": survivor["code"], "reason": "跨区重复门牌"})
    assert merged.status_code == 200, merged.text
    redirected = await world["address"].get(f"/v1/doorplates/{duplicate['code']}",
                                            params={"min_version": merged.json()["version"]}, headers=POLICE)
    assert redirected.status_code == 403, f"as found: 200 with 个旧's plate ({redirected.text[:200]})"
    assert redirected.json()["record_division"] == GEJIU_TOWNSHIP
    unfollowed = await world["address"].get(f"/v1/doorplates/{duplicate['code']}",
                                            params={"follow": "false"}, headers=POLICE)
    assert unfollowed.status_code == 200 and unfollowed.json()["status"] == "merged"


async def test_address_match_is_scoped_to_the_jurisdiction_and_logged(world):
    road = unique_name()
    plate = await register_doorplate(world["address"], POLICE, road, "18")
    text = f"蒙自市{road}18号"

    async def candidates(headers: dict, **extra) -> list[str]:
        deadline = asyncio.get_running_loop().time() + 90
        while True:
            response = await world["address"].post("/v1/addresses/match", json={"text": text, **extra},
                                                   headers=headers)
            assert response.status_code == 200, response.text
            codes = [c["code"] for c in response.json()["candidates"]]
            if plate["code"] in codes or headers is not POLICE or asyncio.get_running_loop().time() > deadline:
                return codes
            await asyncio.sleep(0.5)

    assert plate["code"] in await candidates(POLICE)
    neighbour = token("police", GEJIU, "PC-GJ-MATCH")
    outside = await candidates(neighbour)
    assert all(code.startswith(GEJIU) for code in outside), f"as found: 蒙自 candidates for 个旧 ({outside})"
    refused = await world["address"].post("/v1/addresses/match", json={"text": text, "division_code": MENGZI},
                                          headers=neighbour)
    assert refused.status_code == 403
    logged = await access_entries(world["address"], {"payload.record_type": "address_match",
                                                     "actor.id": "PC-GJ-MATCH"})
    assert logged and logged[-1]["payload"]["lookup"]["text"] == text
    assert logged[-1]["payload"]["result_count"] == len(outside)
    assert datetime.now(timezone.utc) - timedelta(hours=1) < logged[-1]["recorded_at"].replace(tzinfo=timezone.utc)
