"""The pages a police officer opens render with the internet cut off (离线可用), in a real headless Chromium.

A service's app is served by uvicorn on loopback (its lifespan off: the pages need no Kafka or MongoDB), Debian's
Chromium is driven by Playwright, and a route handler refuses every request that does not go to 127.0.0.1: a
page that still needed a CDN would be blank and the refused address is named. Needs /usr/bin/chromium (the
Makefile's install step installs it) and playwright (pyproject's test extras).
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Route, async_playwright

from services.audit.report import html
from services.audit.report.model import build
from services.kernel.web.docs_pages import asyncapi_document
from services.person.app import build_app
from tests.unit.test_audit_report import AS_OF, snapshot, town

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
RENDER_SECONDS = 60  # a ceiling on a loaded 2-core machine, not an expectation


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
async def person_service():
    """The person service's pages (it has the most routes), on loopback."""
    app = build_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def offline_page():
    """A fresh Chromium page whose every request off this machine (loopback, files) is refused and remembered."""
    refused: list[str] = []

    async def only_loopback(route: Route) -> None:
        where = urlsplit(route.request.url)
        if where.scheme in ("file", "data") or where.hostname in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    with tempfile.TemporaryDirectory(prefix="ybss-chromium-") as profile:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = await browser.new_page()
                await page.route("**/*", only_loopback)
                yield page, refused
            finally:
                await browser.close()


async def test_swagger_ui_lists_every_operation_offline(person_service, offline_page):
    app, base = person_service
    page, refused = offline_page
    operations = sum(len(methods) for methods in app.openapi()["paths"].values())
    await page.goto(f"{base}/docs")
    await page.wait_for_function(f"document.querySelectorAll('.opblock').length >= {operations}",
                                 timeout=RENDER_SECONDS * 1000)
    assert await page.locator(".opblock").count() == operations
    assert app.title in await page.locator(".info .title").first.inner_text()
    assert refused == [], f"the page asked the internet for {refused}"


async def test_the_asyncapi_view_names_the_platform_topics_offline(person_service, offline_page):
    _, base = person_service
    page, refused = offline_page
    await page.goto(f"{base}/asyncapi")
    alerts = page.get_by_text("ybss.person.alerts").first
    await alerts.wait_for(timeout=RENDER_SECONDS * 1000)
    shown = await page.locator("#asyncapi").inner_text()
    for topic in ("ybss.address.events", "ybss.access.events", "ybss.ingest.{agency}", "ybss.feed.person"):
        assert topic in shown
    rendered = set(await page.evaluate("Array.from(document.querySelectorAll('#asyncapi [id]'), e => e.id)"))
    operations = asyncapi_document()["operations"]
    missing = {f"operation-{o['action']}-{name}" for name, o in operations.items()} - rendered
    assert not missing, f"operations the view did not render: {sorted(missing)}"
    assert refused == [], f"the page asked the internet for {refused}"


async def test_the_monthly_report_renders_offline(tmp_path, person_service, offline_page):
    """The audit's 每月通报 page is self-contained (inline style and SVG charts): it renders with nothing to fetch."""
    page, refused = offline_page
    report = html.page(build("2026-10", "532503", snapshot(town(), AS_OF), snapshot(town()[:3], AS_OF)))
    (tmp_path / "report.html").write_text(report, encoding="utf-8")
    await page.goto((tmp_path / "report.html").as_uri())
    assert "实有人口" in await page.locator("h2").all_inner_texts()
    assert await page.locator("svg").count() == 4 and await page.locator("table tr").count() > 5
    assert refused == [], f"the page asked the internet for {refused}"
