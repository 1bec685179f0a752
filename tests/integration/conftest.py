"""Fixtures that run services in-process against the real stack."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.kernel.web.auth import mint_token


@pytest.fixture(scope="session")
def police_headers(settings):
    return {"Authorization": "Bearer " + mint_token("PC-0001", "police", "532503", settings)}


@pytest.fixture(scope="session")
async def address_client():
    from services.address.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://address") as client:
            client.fastapi = app
            yield client


def unique_name(stem: str = "路") -> str:
    """A fresh Chinese road name per test (names are normalised, so stay within CJK)."""
    import random

    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(4)) + stem
