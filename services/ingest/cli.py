"""``ybss import FILE --agency A --type person``: upload a 采集表, follow its progress, save the error workbook.

The file is read and checked by the ingest service (the same gate as every other path); this command uploads
it, draws a progress bar from the batch status until every row is answered (or ``--timeout``), prints the
counts, and writes the rejected rows with their reasons next to the file (``<name>-errors.xlsx``), ready to
fix and import again. Locally (YBSS_ENVIRONMENT=local) it mints the agency's development token; elsewhere
pass ``--token`` or set YBSS_TOKEN.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import httpx

from services.kernel.operations.progress import Progress


def register(commands) -> None:
    command = commands.add_parser("import", help="import a 采集表 (xlsx) for an agency and save its error workbook")
    command.add_argument("file", type=Path)
    command.add_argument("--agency", required=True, help="agency id (its token's sub)")
    command.add_argument("--type", required=True, choices=("person", "house", "unit"), dest="entity_type")
    command.add_argument("--url", default=os.environ.get("YBSS_INGEST_URL", "http://127.0.0.1:8006"))
    command.add_argument("--token", default=os.environ.get("YBSS_TOKEN"), help="the agency's JWT")
    command.add_argument("--timeout", type=float, default=3600, help="seconds to follow the progress")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(func=lambda args: asyncio.run(run(args)))


def token_for(agency: str, given: str | None) -> str:
    if given:
        return given
    from services.ingest.config import agencies
    from services.kernel.web.auth import mint_token
    from services.kernel.base.settings import get_settings

    settings = get_settings()
    if settings.environment != "local":
        raise SystemExit("pass --token or set YBSS_TOKEN (development tokens are minted only locally)")
    known = agencies().get(agency)
    if known is None:  # a token for an agency nobody configured would only be refused (401) by the service
        raise SystemExit(f"unknown agency {agency!r}; configured: {', '.join(sorted(agencies()))} "
                         "(services/ingest/agencies.json, or the file YBSS_INGEST_AGENCIES_FILE names)")
    return mint_token(agency, "agency", known.jurisdiction, settings, channel="agency")


async def run(args: argparse.Namespace, transport: httpx.AsyncBaseTransport | None = None) -> int:
    headers = {"Authorization": f"Bearer {token_for(args.agency, args.token)}"}
    async with httpx.AsyncClient(base_url=args.url, transport=transport, timeout=120, headers=headers) as client:
        summary = await import_file(client, args.file, args.agency, args.entity_type, args.timeout, not args.quiet)
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary.get("done") and not summary.get("rejected") else 1


async def import_file(client: httpx.AsyncClient, path: Path, agency: str, entity_type: str, timeout: float = 3600,
                      show_progress: bool = True) -> dict:
    """Upload, follow, save the error workbook; the summary says what happened to every row."""
    response = await client.post(f"/v1/ingest/{agency}/imports", content=path.read_bytes(),
                                 params={"entity_type": entity_type, "file_name": path.name},
                                 headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    if response.status_code != 202:
        return {"file": str(path), "status": response.status_code, "refused": response.json()}
    batch = response.json()
    progress = Progress(f"{path.name}", batch["total"]) if show_progress else None
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        status = (await client.get(f"/v1/ingest/batches/{batch['batch_id']}", params={"limit": 1})).json()
        answered = status["accepted"] + status["rejected"]
        if progress is not None:
            progress.advance(answered - progress.done)
        if status["done"]:
            break
        await asyncio.sleep(0.5)
    if progress is not None:
        progress.close()
    summary = {key: status.get(key) for key in ("batch_id", "total", "accepted", "rejected", "review", "pending", "done")}
    if status.get("rejected"):
        errors = await client.get(f"/v1/ingest/batches/{batch['batch_id']}/errors.xlsx")
        target = path.with_name(f"{path.stem}-errors.xlsx")
        target.write_bytes(errors.content)
        summary["error_workbook"] = str(target)
    summary["file"] = str(path)
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="ybss")
    register(parser.add_subparsers(dest="command", required=True))
    arguments = parser.parse_args()
    sys.exit(arguments.func(arguments))
