"""可疑查询 as a worklist: more flags than fit on a page are walked completely with the whole list's total, in
rank order, the first page's ``as_of`` bounding which reads count (one made before it but archived during the
walk changes the total: the walk starts again), and the whole list exports as CSV (issue 17)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid

import pytest

from contracts.envelope import Actor
from services.kernel.eventsourcing.aggregate import CommandContext
from tests.integration.audit_helpers import headers
from tests.integration.test_audit_access import audit  # noqa: F401 - the module's running audit service

pytestmark = pytest.mark.integration
RULES = {"outside_persons": 2, "night_reads": 10**6}


async def test_more_flags_than_a_page_are_walked_completely(audit, settings):  # noqa: F811
    runtime = audit.fastapi.state.runtime
    tag = uuid.uuid4().hex[:6]
    readers = [Actor(id=f"PC-{tag}-{n}", role="police", organisation_code="532502") for n in range(3)]
    for number, reader in enumerate(readers):  # 开远市 police reading 蒙自市 persons: 2, 3 and 4 of them
        ctx = CommandContext(actor=reader, correlation_id=f"flag-{tag}-{number}")
        for person in range(number + 2):
            await runtime.access_log.record(ctx, "person", f"P-{tag}-{number}-{person}", "/v1/persons/{person_id}",
                                            division_code="532503001")
    supervisor = headers(settings)
    deadline = time.monotonic() + 90
    while True:  # until the archive holds all three readers' reads
        first = (await audit.get("/v1/audit/access/flags", headers=supervisor, params={**RULES, "limit": 1})).json()
        walked, cursor = list(first["items"]), first["next_cursor"]
        while cursor:
            page = (await audit.get("/v1/audit/access/flags", headers=supervisor, params={
                **RULES, "limit": 1, "cursor": cursor, "as_of": first["as_of"]})).json()
            if page["total"] != first["total"]:
                break  # a read made before as_of was archived during the walk (as_of bounds when reads happened,
                # not when they reached the archive): walk again
            assert len(page["items"]) == 1
            walked += page["items"]
            cursor = page["next_cursor"]
        ours = [f for f in walked if f["actor_id"].startswith(f"PC-{tag}-")]
        if (len(ours) == 3 and not cursor) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert len(walked) == first["total"] >= 3 and first["flags"] == first["items"]
    assert [f["rank"] for f in walked] == sorted({f["rank"] for f in walked})  # each once, in rank order
    assert [(f["actor_id"], f["count"]) for f in ours] == [(readers[2].id, 4), (readers[1].id, 3), (readers[0].id, 2)]

    exported = await audit.get("/v1/audit/access/flags", headers=supervisor,
                               params={**RULES, "format": "csv", "as_of": first["as_of"]})
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == first["total"] and {row["actor_id"] for row in rows} >= {r.id for r in readers}
