"""Authorization over every route of every service: who may call it (role) and which records (jurisdiction).

The role table is generic: every route of every context must declare its permission (services.kernel.web.authz),
and for each role (the five user roles and a service's own identity) the route answers 403 exactly when the role
is not among the declared ones (admin always passes). Jurisdiction is checked on real records: inside the caller's
division the record is read and changed, outside it is refused with 403 naming both divisions, and lists are
filtered, not refused.
"""

from __future__ import annotations

import contextlib
import importlib
import os

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.sse import EventSourceResponse

from contracts.contexts import CONTEXTS
from services.kernel.web.auth import ROLES, SERVICE_ROLE, mint_service_token, mint_token
from tests.integration.address_helpers import TOWNSHIP
from tests.integration.conftest import unique_name

OPS = {"/healthz", "/readyz", "/metrics"}
OUTSIDE_ORG = "532502"  # 个旧市, a neighbour of 蒙自市 (532503) in the same prefecture


def headers(role: str, org: str = "532503", sub: str = "T-1", ttl_seconds: int | None = None) -> dict:
    """A user token, or for role ``service`` the ingest service's own (signed with its key, svc-ingest)."""
    lifetime = {"ttl_seconds": ttl_seconds} if ttl_seconds else {}
    token = (mint_service_token("ingest", org, **lifetime) if role == SERVICE_ROLE
             else mint_token(sub, role, org, **lifetime))
    return {"Authorization": "Bearer " + token}


def declared_permission(route: APIRoute) -> tuple[str, tuple[str, ...]] | None:
    """The (action, roles) a route declares through services.kernel.web.authz.allow, wherever it sits."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        call = dependant.call
        if call is not None and hasattr(call, "action") and hasattr(call, "roles"):
            return call.action, call.roles
        stack.extend(dependant.dependencies)
    return None


def api_routes(app) -> list:
    """Every API route, including those of included routers (FastAPI >= 0.165 keeps each ``include_router`` as one
    entry of ``app.routes``, so reading that list alone walks none of them)."""
    routes = [route for route in iter_route_contexts(app.routes)
              if isinstance(route.original_route, APIRoute) and route.path not in OPS]
    assert len(routes) >= 5, f"{app.title}: only {len(routes)} API routes found; the walk is broken"
    return routes


def streams(route) -> bool:
    """A Server-Sent Events route answers an allowed caller with a stream that lasts as long as the token."""
    return getattr(route.original_route, "response_class", None) is EventSourceResponse


def concrete(path: str) -> str:
    """A path with every parameter filled by a value that names nothing."""
    import re

    return re.sub(r"\{[^}]+\}", "000000000000", path)


@pytest.fixture(scope="module")
async def apps():
    """Every context's service, in-process against the real stack (contexts come from the one registry)."""
    only = [name for name in os.environ.get("YBSS_AUTHZ_CONTEXTS", "").split(",") if name]  # narrow while developing
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for context in CONTEXTS:
            if only and context.name not in only:
                continue
            app = importlib.import_module(f"{context.module}.app").build_app()
            manager = await stack.enter_async_context(LifespanManager(app, startup_timeout=90, shutdown_timeout=120))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{context.name}"))
            client.fastapi = app
            clients[context.name] = client
        yield clients


async def test_every_route_of_every_service_declares_who_may_call_it(apps):
    missing = [f"{name} {sorted(route.methods)} {route.path}" for name, client in apps.items()
               for route in api_routes(client.fastapi) if declared_permission(route) is None]
    assert not missing, "routes without a declared permission (services.kernel.web.authz.allow): " + "; ".join(missing)


async def test_each_role_is_refused_exactly_where_the_table_says(apps):
    """403 for a role the route does not allow; anything but 401/403 for one it does (404, 422 ... on a dummy id)."""
    wrong = []
    for name, client in apps.items():
        for route in api_routes(client.fastapi):
            action, roles = declared_permission(route)
            for method in sorted(route.methods - {"HEAD"}):
                for role in ROLES:
                    # an allowed caller's stream ends at its token's exp: a 2 s token keeps the walk short
                    ttl = 2 if streams(route) else None
                    response = await client.request(method, concrete(route.path), headers=headers(role, ttl_seconds=ttl),
                                                    json={})
                    allowed = role in roles or role == "admin"
                    if allowed and response.status_code in (401, 403):
                        wrong.append(f"{name} {method} {route.path} {role}: {response.status_code} but {action} allows it")
                    if not allowed and response.status_code != 403:
                        wrong.append(f"{name} {method} {route.path} {role}: {response.status_code}, expected 403 ({action})")
                    if response.status_code >= 500:
                        wrong.append(f"{name} {method} {route.path} {role}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


async def test_a_token_with_an_unknown_role_or_none_is_401(apps):
    client = apps["address"]
    for token_headers in (headers("janitor"), {}):
        response = await client.get("/v1/doorplates", params={"division_code": TOWNSHIP}, headers=token_headers)
        assert response.status_code == 401, response.text
        assert "WWW-Authenticate" in response.headers


async def test_address_records_inside_are_served_outside_refused_and_lists_filtered(apps):
    client = apps["address"]
    inside, outside = headers("police"), headers("police", OUTSIDE_ORG)
    road = unique_name()
    created = await client.post("/v1/doorplates", headers=inside,
                                json={"division_code": TOWNSHIP, "road_name": road, "number": "7"})
    assert created.status_code == 201, created.text
    plate = created.json()
    read = await client.get(f"/v1/doorplates/{plate['code']}", params={"min_version": plate["version"]}, headers=inside)
    assert read.status_code == 200 and read.json()["place_name"] == road

    refused = await client.get(f"/v1/doorplates/{plate['code']}", headers=outside)
    assert refused.status_code == 403
    body = refused.json()
    assert body["record_division"] == TOWNSHIP and body["caller_scope"] == OUTSIDE_ORG
    assert "532503001" in body["detail"] and "532502" in body["detail"]

    listed = await client.get("/v1/doorplates", params={"road_name": road}, headers=outside)
    assert listed.status_code == 200 and listed.json()["items"] == [], "a list outside the jurisdiction is filtered"
    listed = await client.get("/v1/doorplates", params={"road_name": road}, headers=inside)
    assert [item["code"] for item in listed.json()["items"]] == [plate["code"]]

    # writes outside the jurisdiction are refused and change nothing
    retire = await client.post(f"/v1/doorplates/{plate['code']}/retire", headers=outside, json={"reason": "拆迁"})
    assert retire.status_code == 403 and retire.json()["record_division"] == TOWNSHIP
    register = await client.post("/v1/doorplates", headers=outside,
                                 json={"division_code": TOWNSHIP, "road_name": unique_name(), "number": "1"})
    assert register.status_code == 403
    still = await client.get(f"/v1/doorplates/{plate['code']}", headers=inside)
    assert still.json()["status"] == "in_use" and still.json()["version"] == plate["version"]

    # a city-level supervisor (5325 = 红河州) sees it; an admin from anywhere sees it; a township officer elsewhere does not
    assert (await client.get(f"/v1/doorplates/{plate['code']}", headers=headers("supervisor", "5325"))).status_code == 200
    assert (await client.get(f"/v1/doorplates/{plate['code']}", headers=headers("admin", "11"))).status_code == 200
    assert (await client.get(f"/v1/doorplates/{plate['code']}", headers=headers("police", "532503002"))).status_code == 403
    assert (await client.get(f"/v1/doorplates/{plate['code']}", headers=headers("police", "532503001"))).status_code == 200


async def test_a_historical_division_code_in_a_token_still_covers_its_successor(apps):
    """蒙自县 532522 became 蒙自市 532503 in 2010: an old organisation code still scopes to the same county."""
    client = apps["address"]
    created = await client.post("/v1/doorplates", headers=headers("police"),
                                json={"division_code": TOWNSHIP, "road_name": unique_name(), "number": "9"})
    plate = created.json()
    read = await client.get(f"/v1/doorplates/{plate['code']}", params={"min_version": plate["version"]},
                            headers=headers("police", "532522"))
    assert read.status_code == 200, read.text


async def test_the_assessment_and_its_configuration_stay_inside_the_callers_jurisdiction(apps):
    """考核, 考核目标 and 采集基数 (issue 18): a supervisor of 个旧市 is refused 蒙自市's township, naming both; the
    township's own county supervisor is served."""
    client = apps["audit"]
    csv_body = f"division_code,metric,value\n{TOWNSHIP},persons_total,10\n".encode()
    asks = [("GET", "/v1/audit/assessment", {"division_code": TOWNSHIP, "month": "2026-11"}, {}),
            ("GET", "/v1/audit/targets", {"division_code": TOWNSHIP}, {}),
            ("GET", "/v1/audit/baselines", {"division_code": TOWNSHIP}, {}),
            ("PUT", "/v1/audit/targets", {}, {"json": {"division_code": TOWNSHIP, "targets": {"accuracy": 0.9}}}),
            ("POST", "/v1/audit/baselines/imports", {"division_code": TOWNSHIP},
             {"content": csv_body, "headers": {"Content-Type": "text/csv"}})]
    for method, path, params, body in asks:
        extra = body.pop("headers", {})
        refused = await client.request(method, path, params=params, headers={**headers("supervisor", OUTSIDE_ORG),
                                                                              **extra}, **body)
        assert refused.status_code == 403 and refused.json()["record_division"] == TOWNSHIP, (path, refused.text)
        assert refused.json()["caller_scope"] == OUTSIDE_ORG
        served = await client.request(method, path, params=params, headers={**headers("supervisor"), **extra}, **body)
        assert served.status_code in (200, 201), (path, served.text)


async def test_declarations_are_decided_by_police_of_their_jurisdiction_and_listed_only_there(apps):
    """信息申报 (issue 18): a declarant declares only inside its own org; police of another county are refused the
    declaration (403 naming both divisions) and do not find it in their lists; the county's police verify it."""
    client = apps["ingest"]
    landlord = headers("agency", TOWNSHIP, "landlord-authz")
    body = {"kind": "employee_out", "division_code": TOWNSHIP, "unit_id": "U-authz", "person_id": "P-authz",
            "left": "2026-12-01"}
    outside_body = await client.post("/v1/declarations", headers=landlord, json={**body, "division_code": "532502001"})
    assert outside_body.status_code == 403 and outside_body.json()["record_division"] == "532502001"
    declared = await client.post("/v1/declarations", headers=landlord, json=body)
    assert declared.status_code == 202, declared.text
    declaration_id = declared.json()["declaration_id"]
    outside = headers("police", OUTSIDE_ORG)
    for path, decision in (("verify", {"remark": "核实"}), ("reject", {"reason": "不属实"})):
        refused = await client.post(f"/v1/declarations/{declaration_id}/{path}", headers=outside, json=decision)
        assert refused.status_code == 403 and refused.json()["record_division"] == TOWNSHIP, refused.text
        assert refused.json()["caller_scope"] == OUTSIDE_ORG
    read = await client.get(f"/v1/declarations/{declaration_id}", headers=outside)
    assert read.status_code == 403 and read.json()["record_division"] == TOWNSHIP
    listed = await client.get("/v1/declarations", params={"state": "pending"}, headers=outside)
    assert declaration_id not in [item["declaration_id"] for item in listed.json()["items"]]
    served = await client.post(f"/v1/declarations/{declaration_id}/reject", headers=headers("police"),
                               json={"reason": "单位编号有误"})
    assert served.status_code == 200 and served.json()["state"] == "rejected", served.text
