"""The services an adversarial test needs, in-process against the real stack (only those: starting all six costs
the shared machine), and the tokens of the roles it plays."""

from __future__ import annotations

import contextlib
import importlib

import httpx
from asgi_lifespan import LifespanManager

from services.kernel.web.auth import mint_token

MENGZI, GEJIU = "532503", "532502"  #: 蒙自市 and its neighbour 个旧市 (another county of 红河州)
MENGZI_TOWNSHIP, GEJIU_TOWNSHIP = "532503001", "532502001"


def token(role: str, org: str = MENGZI, sub: str = "T-1") -> dict:
    return {"Authorization": "Bearer " + mint_token(sub, role, org)}


@contextlib.asynccontextmanager
async def running(*contexts: str):
    """{context: client} for the named contexts' apps (``client.fastapi`` is the app, for its runtime)."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for name in contexts:
            app = importlib.import_module(f"services.{name}.app").build_app()
            manager = await stack.enter_async_context(LifespanManager(app, startup_timeout=90, shutdown_timeout=120))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{name}"))
            client.fastapi = app
            clients[name] = client
        yield clients
