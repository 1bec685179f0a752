"""The monthly report's answer time through the audit service (in process, real MongoDB): a closed month is one
published document read and rendered; measured per format at the default city's widest breakdowns.

    .venv/bin/python -m bench.report_latency [--requests 200]

Publishes synthetic reports (a prefecture with its 13 counties, a county with 14 townships and the records not
yet placed, a township with 40 communities, each row carrying every column) straight into ``monthly_reports``
of a scratch namespace, then times GET /v1/audit/reports/monthly/{month} as JSON, xlsx and HTML. The running
month's cost is the quality figures' (two calls: this month now, last month at its end) plus the same rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import datetime, timezone

os.environ.setdefault("YBSS_NAMESPACE", f"benchreport{int(time.time())}")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

from bench.common import RESULTS, percentile  # noqa: E402
from services.audit.report import frozen  # noqa: E402
from services.audit.report.model import COLUMNS, build  # noqa: E402
from services.kernel.web.auth import mint_token  # noqa: E402

SCOPES = {"5325": 13, "532503": 14, "532503001": 40}  #: scope → sub-divisions in its breakdown
MONTH = "2026-10"


def figures(scope: str, children: int, as_of: str) -> dict:
    """Every column filled for the scope and each child (the child codes one level down)."""
    width = {4: 2, 6: 3, 9: 3}[len(scope)]
    row = {column: (0.93 if column.endswith("_rate") else 1234) for columns in COLUMNS.values() for column in columns}
    subs = {f"{scope}{n + 1:0{width}d}": {"name": f"区划{n + 1}", **row} for n in range(children)}
    subs[scope] = {"name": scope, **row}  # records held at the scope itself
    return {"division_code": scope, "name": scope, "as_of": as_of, **row, "by_sub_division": subs,
            "accuracy": {"records": {"rate": 0.96, "inspected": 100}}, "by_collector": {f"GW-{n}": {"Person": 100}
                                                                                       for n in range(300)}}


async def main(requests: int) -> dict:
    import httpx
    from asgi_lifespan import LifespanManager

    from services.audit.app import build_app

    app = build_app()
    results = {}
    async with LifespanManager(app, startup_timeout=120) as manager:
        runtime = app.state.runtime
        store = runtime.db[frozen.COLLECTION]  # published reports, as services.audit.bootstrap hands them to routes
        for scope, children in SCOPES.items():
            current = figures(scope, children, "2026-10-31T15:59:59.999999+00:00")
            report = build(MONTH, scope, current, figures(scope, children, "2026-09-30T15:59:59.999999+00:00"))
            await frozen.publish(store, MONTH, scope, report, current, datetime.now(timezone.utc))
        auth = {"Authorization": "Bearer " + mint_token("SV-BENCH", "supervisor", "5325")}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://audit") as client:
            for scope in SCOPES:
                for format in ("json", "xlsx", "html"):
                    times = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        answer = await client.get(f"/v1/audit/reports/monthly/{MONTH}", headers=auth,
                                                  params={"division_code": scope, "format": format})
                        times.append(time.perf_counter() - started)
                        assert answer.status_code == 200, answer.text
                    results[f"{scope}.{format}"] = {"p50_ms": round(percentile(times, 0.5) * 1000, 1),
                                                    "p99_ms": round(percentile(times, 0.99) * 1000, 1),
                                                    "bytes": len(answer.content)}
        await runtime.client.drop_database(runtime.db.name)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report_latency.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    print(json.dumps(asyncio.run(main(parser.parse_args().requests)), indent=2))
