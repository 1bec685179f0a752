"""A generated town of 100 persons loaded into the real stack through the platform's front doors — persons, houses,
units, rentals, tenants, employees and residences as batches of the city-load agency (the registries' bulk path),
the rest through the registries' own HTTP commands: every figure the registries hold equals the town's ground truth,
loading again sends nothing, and answers lost in a crash (the progress file cut back) are found again without a
second record."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.city.generate import generate
from services.city.load import PROGRESS_FILE, load
from services.city.agency_transport import AGENCY, AgencyTransport
from services.city.transport import HttpTransport
from services.city.verify import differences, registry_figures
from services.kernel.web.auth import mint_token
from services.kernel.messaging.runtime import mongo_client

SERVICES = ("address", "person", "house", "unit", "ingest")


@pytest.fixture(scope="module")
async def own_settings():
    """A namespace of the town's own: the figures are read over whole divisions, and the rest of the suite's
    records in 532503 (other tests' towns and persons) would count in them."""
    import os

    from services.kernel.operations.namespaces import drop_namespace
    from services.kernel.base.settings import get_settings

    shared = os.environ["YBSS_NAMESPACE"]
    os.environ["YBSS_NAMESPACE"] = f"{shared}city"
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        own = get_settings()
        os.environ["YBSS_NAMESPACE"] = shared
        get_settings.cache_clear()
        if not os.environ.get("YBSS_KEEP_TEST_DATA"):
            await drop_namespace(own)


@pytest.fixture(scope="module")
async def clients(own_settings):
    import importlib

    async with contextlib.AsyncExitStack() as stack:
        found = {}
        for name in SERVICES:
            app = importlib.import_module(f"services.{name}.app").build_app()
            manager = await stack.enter_async_context(LifespanManager(app, startup_timeout=120, shutdown_timeout=120))
            found[name] = await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{name}", timeout=60))
        yield found


def transport(clients, settings) -> AgencyTransport:
    """The loader's default transport (``ybss city load``), over the services in this process."""
    tokens = {role: mint_token(f"city-{role}", role, "532503", settings) for role in ("police", "supervisor")}
    return AgencyTransport(HttpTransport(clients=clients, tokens=tokens), clients["ingest"],
                           mint_token(AGENCY, "agency", "532503", settings), batch_size=200)


async def figures_equal_truth(settings, truth: dict, deadline_s: float = 180) -> list[str]:
    """Poll the read models (they follow the commands asynchronously) until they agree or time runs out."""
    client = mongo_client(settings)
    try:
        deadline = time.monotonic() + deadline_s
        while True:
            found = await registry_figures(client, settings, date.fromisoformat(truth["as_of"]))
            problems = differences(truth["divisions"], found)
            if not problems or time.monotonic() > deadline:
                return problems
            await asyncio.sleep(2)
    finally:
        await client.close()


def forget(directory: Path, prefixes: tuple[str, ...]) -> int:
    """A crash that lost answers: what the progress file said of records with these id prefixes is dropped."""
    progress = directory / PROGRESS_FILE
    lines = progress.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not ("ok" in json.loads(line) and json.loads(line)["id"].startswith(prefixes))]
    progress.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return len(lines) - len(kept)


@pytest.mark.timeout(1800)  # four registries in one process on a shared 2-core machine: minutes when it is busy
async def test_a_town_loads_to_its_truth_after_lost_answers_and_loading_again_changes_nothing(
        clients, own_settings, tmp_path: Path):
    """One town per namespace (two towns would share road names, so plates and houses): loaded through the
    phase of links, then a crash that lost the answers of houses, units, tenants, employees and residences the
    registries had applied; the next run sends them again and each gets its first answer (the agency record's stored
    answer, or the registry's duplicate rule naming what it made: Kind.already, Kind.done) — a residence is not
    refused as already lived in — so the town ends equal to its truth, and a further run sends nothing."""
    manifest = generate(tmp_path, persons=100, seed=11)  # ≈330 records, every planted problem at least once
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))

    first = await load(tmp_path, transport(clients, own_settings), concurrency=8, show_progress=False, until="links")
    assert first.rejected == 0, first.rejections
    assert forget(tmp_path, ("h", "u", "t", "e", "s")) > 0
    report = await load(tmp_path, transport(clients, own_settings), concurrency=8, show_progress=False)
    assert report.rejected == 0, report.rejections
    assert await figures_equal_truth(own_settings, truth) == []

    again = await load(tmp_path, transport(clients, own_settings), concurrency=8, show_progress=False)
    assert (again.sent, again.skipped, again.rejected) == (0, manifest["total"], 0)
