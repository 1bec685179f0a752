"""死信列表: the records the sink (or the relay) refused, with why, read from the dead-letter topic."""

from __future__ import annotations

import json
from contextlib import aclosing
from typing import Any

from services.exchange.mapping import Mapping
from services.exchange.snapshot import read_to_end
from services.exchange.topics import dead_letter_topic
from services.kernel.base.settings import Settings

#: headers Kafka Connect puts on a dead letter (errors.deadletterqueue.context.headers.enable)
CONNECT_HEADERS = {"__connect.errors.topic": "topic", "__connect.errors.offset": "offset",
                   "__connect.errors.exception.class.name": "error_class",
                   "__connect.errors.exception.message": "error", "ybss.exchange.error": "error",
                   "ybss.exchange.source": "topic"}


def _decoded(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _missing_required(mapping: Mapping, topic: str | None, payload: Any) -> list[str] | None:
    """The mandatory elements (必填数据元) a refused row lacks: why the target's standard refused it."""
    table = next((t for t in mapping.tables if topic and topic.endswith(f".{t.table}")), None)
    if table is None or not isinstance(payload, dict):
        return None
    return [c.name for c in table.columns if c.required and payload.get(c.name) is None]


def dead_letter(record: Any, mapping: Mapping) -> dict[str, Any]:
    entry: dict[str, Any] = {"dead_letter_offset": record.offset, "partition": record.partition,
                             "key": _decoded(record.key)}
    for name, value in record.headers or ():
        if name in CONNECT_HEADERS:
            entry[CONNECT_HEADERS[name]] = value.decode(errors="replace")
    value = _decoded(record.value)
    entry["payload"] = value.get("payload", value) if isinstance(value, dict) else value
    entry["missing_required"] = _missing_required(mapping, entry.get("topic"), entry["payload"])
    return entry


async def list_dead_letters(settings: Settings, mapping: Mapping, limit: int = 100) -> list[dict[str, Any]]:
    """Up to ``limit`` dead letters, oldest first per partition (no topic yet: none)."""
    entries: list[dict[str, Any]] = []
    async with aclosing(read_to_end(settings, [dead_letter_topic(settings.namespace)])) as records:
        async for record in records:
            entries.append(dead_letter(record, mapping))
            if len(entries) >= limit:
                break
    return entries
