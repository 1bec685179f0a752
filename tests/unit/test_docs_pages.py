"""Every page a service offers is served from the package (police networks reach no CDN): /docs, /asyncapi and
/asyncapi.json on every service, with the vendored assets exactly as static/VENDORED.md records them.
The pages rendering in a real browser with the network off: tests/browser/test_offline_pages.py."""

from __future__ import annotations

import hashlib
import importlib
import json
import re

import pytest
from fastapi.testclient import TestClient

from contracts.contexts import CONTEXTS
from services.kernel.messaging import asyncapi
from services.kernel.web.docs_pages import STATIC

OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def vendored() -> dict[str, str]:
    rows = re.findall(r"^\| (\S+) \| \S+ \| .+? \| ([0-9a-f]{64}) \|$", (STATIC / "VENDORED.md").read_text(), re.M)
    return dict(rows)


def test_the_vendored_assets_are_the_recorded_ones():
    recorded = vendored()
    shipped = {str(path.relative_to(STATIC)) for path in STATIC.rglob("*") if path.is_file()} - {"VENDORED.md"}
    assert set(recorded) == shipped, "every vendored file, and only those, has a row in static/VENDORED.md"
    for name, digest in recorded.items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name


@pytest.fixture(scope="module", params=[context.name for context in CONTEXTS])
def client(request):
    app = importlib.import_module(f"services.{request.param}.app").build_app()
    return TestClient(app)  # no lifespan: the pages need neither Kafka nor MongoDB


def test_every_service_serves_its_pages_from_itself(client):
    for path in ("/docs", "/asyncapi"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert not OUTSIDE.search(page.text), f"{path} loads something from another host"
        for asset in re.findall(r"""(?:src|href)="([^"]+)\"""", page.text):
            assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404, "ReDoc loads from CDNs; it is switched off"
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_every_service_serves_the_platform_asyncapi_document(client):
    served = client.get("/asyncapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(asyncapi.OUT.read_text(encoding="utf-8"))
    assert {channel["address"] for channel in served.json()["channels"].values()} >= {
        f"ybss.{context.name}.events" for context in CONTEXTS}
