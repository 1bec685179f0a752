"""Importing a 采集表: read it (off the event loop), pass each row through the gate, submit the batch; and the
error workbook of a batch (its rejected rows as sent, with their reasons, in the template's layout)."""

from __future__ import annotations

import asyncio

from contracts.ingest import IngestRecord, Reason
from services.ingest.batches import BATCH_ROWS, submit
from services.ingest.config import Agency
from services.ingest.consumers import BATCH_RECORDS
from services.ingest.gate import check, parse
from services.ingest.sheet_bounds import MAX_IMPORT_ROWS
from services.ingest.sheets import Row, columns, read_rows, template
from services.kernel.base.masking import FULL, Visibility, scrub_text


def _read(data: bytes, entity_type: str) -> tuple[list, list[Row]]:
    cols, rows = read_rows(data, entity_type)
    return cols, list(rows)


def admitted(agency: Agency, rows: list[Row]) -> tuple[list[tuple[int, IngestRecord]], list]:
    """(row, record) pairs through the gate, and (row, record id, type, reasons) of those refused."""
    records, refused = [], []
    for row in rows:
        reasons = [Reason(field=f, rule=r, msg=en, msg_zh=zh) for f, r, en, zh in row.problems]
        checked = parse(row.record) if not reasons else None
        if checked is not None:
            reasons = checked.reasons or check(agency, checked.record)
        if reasons:
            refused.append((row.number, (row.record or {}).get("record_id") or f"row-{row.number}",
                            (row.record or {}).get("entity_type"), reasons))
        else:
            records.append((row.number, checked.record))
    return records, refused


class TooManyRows(ValueError):
    """More rows than one import takes (HTTP 413)."""


async def import_sheet(rt, agency: Agency, entity_type: str, data: bytes, file_name: str, submitted_by: str) -> dict:
    cols, rows = await asyncio.to_thread(_read, data, entity_type)
    if len(rows) > MAX_IMPORT_ROWS:
        raise TooManyRows(f"{len(rows)} rows; an import takes at most {MAX_IMPORT_ROWS}")
    records, refused = admitted(agency, rows)
    return await submit(rt, agency, records, "xlsx", submitted_by, refused=refused,
                        cells={row.number: row.cells for row in rows}, entity_type=entity_type, file_name=file_name,
                        headers=[column.header for column in cols])


def reason_text(reasons: list[dict]) -> str:
    return "；".join(f"{reason.get('field') or '记录'}: {reason.get('msg_zh') or reason.get('msg')} [{reason['rule']}]"
                    for reason in reasons)


async def error_workbook(db, batch: dict, permitted: list[str] | None, seen: Visibility = FULL) -> bytes:
    """The rejected rows of a spreadsheet batch, as sent, with a 错误原因 column. The rows are the agency's own
    (returned whole so they can be fixed and imported again); a reason may quote someone else's record, so the
    reasons are masked as ``seen`` requires (services.kernel.base.masking)."""
    rejected = [doc async for doc in db[BATCH_RECORDS].find({"batch_id": batch["_id"], "status": "rejected"}).sort("row", 1)]
    cells = {doc["row"]: doc["cells"] async for doc in db[BATCH_ROWS].find(
        {"batch_id": batch["_id"], "row": {"$in": [doc["row"] for doc in rejected]}})}
    cols = columns(batch["entity_type"], permitted)
    by_header = {column.header: index for index, column in enumerate(cols)}
    sent_headers = batch.get("headers") or [column.header for column in cols]
    rows = []
    for doc in rejected:
        sent = cells.get(doc["row"], [])
        values = [None] * len(cols)
        for header, value in zip(sent_headers, sent):
            if header in by_header:
                values[by_header[header]] = value
        rows.append(values)
    return await asyncio.to_thread(template, batch["entity_type"], permitted, rows,
                                   [scrub_text(reason_text(doc.get("reasons", [])), seen) for doc in rejected])

