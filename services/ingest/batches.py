"""Submitting a batch (HTTP or a 采集表): the batch document, the rows as sent, refusals the gate already knows,
and every other record published to the agency's topic — the Kafka path, so one gate answers everything.

A batch's status is a read model fed by the replies topics (services.ingest.consumers.record_reply) plus the
rows refused before publishing (a spreadsheet row that is not a record). A crash while publishing leaves a
batch with fewer answers than rows; importing the same file again publishes the same records, which the
registries answer without applying them twice.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo import UpdateOne
from uuid6 import uuid7

from contracts.ingest import IngestRecord, Reason, agency_topic
from services.ingest.config import Agency
from services.ingest.consumers import BATCH_RECORDS
from services.ingest.headers import BATCHES
from services.agency.ingest import INGEST_REJECTS

BATCH_ROWS = "batch_rows"  #: the cells of a spreadsheet's rows, for the error workbook


async def submit(rt, agency: Agency, records: list[tuple[int, IngestRecord]], source: str, submitted_by: str,
                 refused: list[tuple[int, str, str | None, list[Reason]]] = (), cells: dict[int, list[Any]] | None = None,
                 **extra) -> dict:
    """Store the batch, record the refusals, then publish each (row, record) and wait for the broker."""
    batch_id = f"B{uuid7().hex}"
    total = len(records) + len(refused)
    await rt.db[BATCHES].insert_one({"_id": batch_id, "agency": agency.id, "total": total, "source": source,
                                     "submitted_by": submitted_by, "submitted_at": datetime.now(timezone.utc), **extra})
    if cells:
        await rt.db[BATCH_ROWS].insert_many([{"_id": f"{batch_id}:{row}", "batch_id": batch_id, "row": row,
                                              "cells": values} for row, values in cells.items()], ordered=False)
    if refused:
        now = datetime.now(timezone.utc)
        await rt.db[BATCH_RECORDS].bulk_write([UpdateOne({"_id": f"{batch_id}:{row}"}, {"$set": {
            "batch_id": batch_id, "record_id": record_id, "row": row, "status": "rejected", "entity_type": entity_type,
            "reasons": [reason.model_dump() for reason in reasons], "replied_at": now}}, upsert=True)
            for row, record_id, entity_type, reasons in refused])
        for _, _, _, reasons in refused:
            for reason in reasons:
                INGEST_REJECTS.labels(agency.id, reason.rule).inc()
    topic = agency_topic(agency.id, rt.settings.namespace)
    sent = []
    for row, record in records:
        headers = [("batch_id", batch_id.encode()), ("row", str(row).encode())]
        sent.append(await rt.producer.send(topic, record.model_dump_json().encode(), key=record.record_id.encode(),
                                           headers=headers))
    for future in sent:
        await future
    return {"batch_id": batch_id, "agency": agency.id, "total": total, "refused_at_once": len(refused),
            "status_url": f"/v1/ingest/batches/{batch_id}"}
