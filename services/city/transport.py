"""How the loader reaches the platform: one small interface, so the bulk path can sit beside the registries'
HTTP commands without touching the loader.

``HttpTransport`` sends each record as the registry's own command (the same validation as any caller), as the
development tokens of a county police officer and supervisor (local mode), or the tokens given
(``ybss city load --transport http``).

The bulk path (services/city/agency_transport.py, the default) adds ``covers(kind)`` and ``send_record``: the
loader hands it the records of the kinds it covers, as many at once as its batches hold (``in_flight``), and it
gathers them into agency batches, answering each call from its record's row of the batch; it reaches everything
else through an ``HttpTransport``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from contracts.contexts import CONTEXTS

#: 422 rules and 404 answers that mean "not visible here yet" (another context's replica has not caught up).
NOT_YET = frozenset({"address.unknown", "person.unknown", "place.unknown", "unit.unknown", "house.unknown"})


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def rules(self) -> list[str]:
        if isinstance(self.body, dict):
            detail = self.body.get("detail")
            if isinstance(detail, list):
                return [str(item.get("type")) for item in detail if isinstance(item, dict)]
            if self.body.get("type"):
                return [str(self.body["type"])]
        return []

    @property
    def transient(self) -> bool:
        """Worth sending again: unavailable, not caught up, a write race, or not visible yet."""
        if self.status in (0, 404, 429, 502, 503, 504):
            return True
        if self.status == 409 and isinstance(self.body, dict) and "current_version" in self.body:
            return True
        return self.status == 422 and bool(self.rules) and all(rule in NOT_YET for rule in self.rules)


class Transport(Protocol):
    """Send one command; ``get`` reads a record back (the loader's check after a crash)."""

    async def send(self, service: str, path: str, body: dict, role: str) -> Answer: ...

    async def get(self, service: str, path: str, params: dict | None = None) -> Answer: ...

    async def close(self) -> None: ...


def local_token(role: str, org: str = "532503", sub: str | None = None) -> str:
    from services.kernel.web.auth import mint_token
    from services.kernel.base.settings import get_settings

    settings = get_settings()
    if settings.environment != "local":
        raise SystemExit("set YBSS_CITY_POLICE_TOKEN and YBSS_CITY_SUPERVISOR_TOKEN (development tokens are minted "
                         "only locally)")
    return mint_token(sub or f"city-loader-{role}", role, org, settings)


class HttpTransport:
    """The registries' HTTP commands; ``urls`` maps a service to its base URL (default: the local ports), or
    ``clients`` gives ready clients (tests pass in-process ASGI clients)."""

    def __init__(self, urls: dict[str, str] | None = None, clients: dict[str, httpx.AsyncClient] | None = None,
                 tokens: dict[str, str] | None = None, timeout: float = 60) -> None:
        ports = {context.name: context.port for context in CONTEXTS}
        urls = urls or {name: os.environ.get(f"YBSS_{name.upper()}_URL", f"http://127.0.0.1:{port}")
                        for name, port in ports.items()}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.clients = clients or {name: httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)
                                   for name, url in urls.items()}
        self.owned = clients is None
        self.tokens = tokens or {
            role: os.environ.get(f"YBSS_CITY_{role.upper()}_TOKEN") or local_token(role)
            for role in ("police", "supervisor")}

    def _headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def send(self, service: str, path: str, body: dict, role: str) -> Answer:
        try:
            response = await self.clients[service].post(path, json=body, headers=self._headers(role))
        except (httpx.TransportError, asyncio.TimeoutError) as error:
            return Answer(0, {"detail": f"{type(error).__name__}: {error}"})
        return Answer(response.status_code, json_of(response))

    async def get(self, service: str, path: str, params: dict | None = None) -> Answer:
        try:
            response = await self.clients[service].get(path, params=params, headers=self._headers("police"))
        except (httpx.TransportError, asyncio.TimeoutError) as error:
            return Answer(0, {"detail": f"{type(error).__name__}: {error}"})
        return Answer(response.status_code, json_of(response))

    async def close(self) -> None:
        if self.owned:
            for client in self.clients.values():
                await client.aclose()


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"detail": response.text[:500]}
