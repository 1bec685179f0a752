"""The Kafka headers an agency's message may carry (``batch_id``, ``row``), checked before they are trusted.

A batch belongs to the agency that submitted it (the ``batches`` document the HTTP batch and 采集表 routes store
first, with its ``agency``). A message naming a batch of another agency, or one that does not exist, or a ``row``
that is not a whole number, is malformed: it is answered rejected to the publishing agency (never retried, so
it cannot stall the gate's partition for every other agency), and its answer carries no batch, so it can never
land in someone else's batch status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from contracts.ingest import Reason

BATCHES = "batches"
MAX_ROW = 1_048_576  #: the most rows a sheet can have
ROW = re.compile(r"[0-9]{1,7}", re.ASCII)
KNOWN_BATCHES = 100_000  #: batch → agency pairs remembered (they never change)


@dataclass
class Headers:
    """What a message's headers say, once checked: the batch and row to answer under, or why not."""

    batch_id: str | None = None
    row: int | None = None
    reasons: list[Reason] = field(default_factory=list)


def raw_header(message, name: str) -> bytes | None:
    for key, value in message.headers or ():
        if key == name:
            return value
    return None


def malformed(name: str, rule: str, msg: str, msg_zh: str) -> Reason:
    return Reason(field=f"header.{name}", rule=rule, msg=msg, msg_zh=msg_zh)


def parse_row(raw: bytes | None) -> tuple[int | None, list[Reason]]:
    if raw is None:
        return None, []
    text = raw.decode("utf-8", errors="replace").strip()
    if not ROW.fullmatch(text) or int(text) > MAX_ROW:  # ASCII digits only: "²" is a digit int() refuses
        return None, [malformed("row", "header.row_invalid", f"the row header {text[:32]!r} is not a row number "
                                f"(0 to {MAX_ROW})", f"row 消息头 {text[:32]} 不是有效行号")]
    return int(text), []


class BatchOwners:
    """Which agency each batch belongs to, read from the batches collection and remembered."""

    def __init__(self, db) -> None:
        self.db = db
        self.known: dict[str, str] = {}

    async def owner(self, batch_id: str) -> str | None:
        if batch_id not in self.known:
            found = await self.db[BATCHES].find_one({"_id": batch_id}, {"agency": 1})
            if found is None:
                return None  # not remembered: a batch is stored before its records are published
            if len(self.known) >= KNOWN_BATCHES:
                self.known.clear()
            self.known[batch_id] = found["agency"]
        return self.known[batch_id]

    async def check(self, agency_id: str, message) -> Headers:
        """The message's batch and row if they are the agency's own and well formed; else the reasons."""
        row, reasons = parse_row(raw_header(message, "row"))
        raw_batch = raw_header(message, "batch_id")
        if raw_batch is None:
            return Headers(None, None, reasons)  # a row means nothing outside a batch
        batch_id = raw_batch.decode("utf-8", errors="replace").strip()
        owner = await self.owner(batch_id) if 0 < len(batch_id) <= 64 else None
        if owner != agency_id:
            return Headers(None, None, reasons + [malformed(
                "batch_id", "header.batch_not_yours",
                f"batch {batch_id[:64]!r} is not a batch of agency {agency_id}",
                f"批次 {batch_id[:64]} 不属于采集单位 {agency_id}")])
        return Headers(batch_id, row, reasons)
