"""Shared by the audit integration tests: an in-process audit service, tokens, waiting for the archive."""

from __future__ import annotations

import asyncio
import time

import httpx
from asgi_lifespan import LifespanManager

from services.kernel.web.auth import mint_token


def headers(settings, role: str = "supervisor", org: str = "532503", sub: str = "SV-0001") -> dict:
    return {"Authorization": "Bearer " + mint_token(sub, role, org, settings)}


async def running_audit():
    from services.audit.app import build_app

    app = build_app()
    manager = LifespanManager(app, startup_timeout=60, shutdown_timeout=120)
    await manager.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://audit")
    client.fastapi = app
    return manager, client


async def archived_history(client, auth: dict, stream_id: str, version: int, timeout: float = 60.0) -> list[dict]:
    """The stream's history once the archive holds ``version`` of it (the archive is eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get("/v1/audit/history", params={"stream_id": stream_id}, headers=auth)
        if response.status_code == 200 and response.json()["entries"] and \
                response.json()["entries"][-1]["version"] >= version:
            return response.json()["entries"]
        assert response.status_code in (200, 404), response.text
        if time.monotonic() > deadline:
            raise AssertionError(f"archive never reached {stream_id} v{version}: {response.text}")
        await asyncio.sleep(0.2)


def contained(folded, shown, path: str = "") -> list[str]:
    """Where the folded state says something the read model does not show (subset check, recursive).

    The read model adds what only the envelope knows (who approved, when a name ended) and derived fields
    (full names, sort keys); the fold must agree with it on everything the fold itself states.
    """
    if isinstance(folded, dict) and isinstance(shown, dict):
        return [problem for key, value in folded.items()
                for problem in (contained(value, shown[key], f"{path}.{key}") if key in shown
                                else [f"{path}.{key}: not in the read model"])]
    if isinstance(folded, list) and isinstance(shown, list) and len(folded) == len(shown):
        return [problem for index, (a, b) in enumerate(zip(folded, shown))
                for problem in contained(a, b, f"{path}[{index}]")]
    return [] if folded == shown else [f"{path}: fold {folded!r} != read model {shown!r}"]


async def audit_service():
    """A module's in-process audit service (``audit = pytest.fixture(scope="module")(audit_service)``)."""
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)
