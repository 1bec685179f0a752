"""Batch status (批次进度): the batch as submitted and the answers its records got so far (a read model fed by
the agencies' replies topics, services.ingest.consumers.batches)."""

from __future__ import annotations

from services.ingest.batches import BATCHES
from services.ingest.consumers import BATCH_RECORDS
from services.kernel.web.paging import Segment, Worklist, one_each


async def batch_status(db, batch_id: str, limit: int) -> dict | None:
    batch = await db[BATCHES].find_one({"_id": batch_id})
    if batch is None:
        return None
    counts = {"accepted": 0, "rejected": 0, "review": 0}
    async for row in await db[BATCH_RECORDS].aggregate([{"$match": {"batch_id": batch_id}},
                                                        {"$group": {"_id": "$status", "n": {"$sum": 1}}}]):
        counts[row["_id"]] = row["n"]
    finished = counts["accepted"] + counts["rejected"]
    rejected = [_row(doc) async for doc in db[BATCH_RECORDS].find({"batch_id": batch_id, "status": "rejected"})
                .sort("row", 1).limit(limit)]
    review = [_row(doc) async for doc in db[BATCH_RECORDS].find({"batch_id": batch_id, "status": "review"})
              .sort("row", 1).limit(limit)]
    accepted = [_row(doc) async for doc in db[BATCH_RECORDS].find({"batch_id": batch_id, "status": "accepted"})
                .sort("row", 1).limit(limit)]
    total = batch["total"]
    return {"batch_id": batch_id, "agency": batch["agency"], "source": batch.get("source", "http"),
            "file_name": batch.get("file_name"), "entity_type": batch.get("entity_type"),
            "submitted_at": batch["submitted_at"], "submitted_by": batch.get("submitted_by"), "total": total,
            **counts, "pending": total - finished - counts["review"], "done": finished >= total,
            "progress": round(finished / total, 4) if total else 1.0,
            "rejected_records": rejected, "review_records": review, "accepted_records": accepted}


def _row(doc: dict) -> dict:
    return {key: doc.get(key) for key in ("record_id", "row", "status", "entity_type", "entity_id", "version",
                                          "reasons", "address_link")}


def batch_records(db, batch_id: str, status: str | None) -> Worklist:
    """批次记录: a batch's records (one status, or all) in row order, as a worklist an agency fixes its rejected
    rows from, however large the batch (the status route lists only the first ``limit`` of each)."""
    query = {"batch_id": batch_id, **({"status": status} if status else {})}
    return Worklist.of(Segment(db[BATCH_RECORDS], query, one_each(_row), sort=(("row", 1), ("_id", 1))))
