"""Test-wide setup: a fresh namespace per run so topics, groups and databases never mix between runs.

Integration and end-to-end tests talk to the real Kafka broker and MongoDB-compatible server started by
``make up`` (or those named by KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

NAMESPACE = os.environ.setdefault("YBSS_NAMESPACE", f"t{uuid.uuid4().hex[:10]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "INFO")
# Tests run in local mode: services verify with the development JWKS and mint_token signs with the development
# key (deploy/local/.work/keys, made by the first run or `make up`; services.kernel.base.devkeys). Service processes
# the e2e tests start inherit this.
os.environ.setdefault("YBSS_ENVIRONMENT", "local")
# A ceiling, not an expectation: reads normally catch up in milliseconds, but a consumer-group rebalance
# after a test kills a service can pause a read model for several seconds on a 2-core machine.
os.environ.setdefault("YBSS_READ_WAIT_TIMEOUT_SECONDS", "30")

import pytest  # noqa: E402

from services.kernel.base.settings import get_settings  # noqa: E402


TESTS = Path(__file__).resolve().parent
#: Folders whose tests need the real Kafka and MongoDB-compatible server (``-m "not integration"`` skips them).
NEEDS_STACK = {"integration", "e2e", "security"}


def pytest_collection_modifyitems(config, items):
    """Mark by folder: a ``pytestmark`` in a conftest.py marks nothing, so the marker is added here."""
    for item in items:
        try:
            folder = Path(str(item.path)).resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if folder in NEEDS_STACK:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def settings():
    return get_settings()


@pytest.fixture(scope="session", autouse=True)
async def _clean_namespace_after_run():
    """Drop this run's databases and topics at the end, so a long-lived local stack does not fill up."""
    yield
    if os.environ.get("YBSS_KEEP_TEST_DATA"):
        return
    try:
        from services.kernel.operations.namespaces import drop_namespace

        await drop_namespace(get_settings())
    except Exception:  # noqa: BLE001 - cleanup is best effort; unit-only runs have no stack
        pass


def pytest_runtest_logreport(report):
    """Say a failure the moment it happens (the summary comes only at the end, and a run cut short shows none)."""
    if report.failed:
        import sys

        lines = str(report.longrepr).strip().splitlines()
        sys.__stderr__.write(f"\nFAILED {report.nodeid} ({report.when}): {' | '.join(lines[-3:])[:600]}\n")
        sys.__stderr__.flush()


@pytest.fixture(scope="session", autouse=True)
async def _no_task_outlives_the_run(request):
    """At the end every task still running (a service a test left started) is cancelled and must end: one that
    lives through ``cancel()`` for two minutes would hang the loop's teardown for ever, so it is named with its stack
    and the run fails (exit 3) instead of hanging."""
    import asyncio
    import sys

    yield
    me = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not me and not task.done()]
    for task in left:
        task.cancel()
    if not left:
        return
    # a task cancelled inside a database call ends when the call gives up (server selection, socket timeouts):
    # seconds to tens of seconds on a loaded machine; only one still alive after two minutes is stuck for good
    _, alive = await asyncio.wait(left, timeout=120)
    if alive:
        # pytest captures file descriptor 2 during teardown, and os._exit would drop what it holds
        request.config.pluginmanager.getplugin("capturemanager").suspend_global_capture(in_=False)
        for task in alive:
            sys.stderr.write(f"\na task lived through cancel(): {task!r}\n")
            task.print_stack(file=sys.stderr)
        sys.stderr.write(f"\n{len(alive)} task(s) outlived the run; failing it instead of hanging (exit 3)\n")
        sys.stderr.flush()
        os._exit(3)
