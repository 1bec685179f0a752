"""对账: counts and checksums per division and day, ybss's feed state against the target table.

ybss's side is every record's latest feed message mapped through the same tables the relay uses; the target's side
is what the sink wrote. A row's checksum is the MD5 of its columns in the table's order; a group's checksum is the
sum of its rows' (first 64 bits, modulo 2^64), so it does not depend on order. The keys that differ are named (up
to ``KEYS_SHOWN`` per group), so a difference leads to its records.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from typing import Any

from contracts.feeds import FeedMessage, feed_topic
from services.exchange.mapping import Mapping, Table
from services.exchange.records import target_row
from services.exchange.settings import SUBSCRIBER, ExchangeSettings
from services.exchange.snapshot import latest_messages
from services.exchange.target import rows_of_day
from services.kernel.base.settings import Settings

KEYS_SHOWN = 20


def row_digest(table: Table, row: dict[str, Any]) -> str:
    text = "\x1f".join("\x00" if row.get(c.name) is None else str(row[c.name]) for c in table.columns)
    return hashlib.md5(text.encode()).hexdigest()


def _side(table: Table, rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """division → key → row."""
    grouped: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        grouped[str(row[table.division])][str(row[table.key])] = row
    return grouped


def _figures(table: Table, rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    total = sum(int(row_digest(table, row)[:16], 16) for row in rows.values()) % 2**64
    return {"count": len(rows), "checksum": f"{total:016x}"}


def compare(table: Table, ybss_rows: list[dict[str, Any]], target_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per division present on either side, sorted by division."""
    ours, theirs = _side(table, ybss_rows), _side(table, target_rows)
    entries = []
    for division in sorted(set(ours) | set(theirs)):
        a, b = ours.get(division, {}), theirs.get(division, {})
        differing = sorted(key for key in set(a) | set(b)
                           if key not in a or key not in b or row_digest(table, a[key]) != row_digest(table, b[key]))
        entries.append({"division": division, "ybss": _figures(table, a), "target": _figures(table, b),
                        "matches": not differing, "differing_keys": differing[:KEYS_SHOWN]})
    return entries


def day_key(day: date) -> str:
    return day.strftime("%Y%m%d")


def ybss_rows_of_day(mapping: Mapping, table: Table, messages: list[tuple[FeedMessage, int]],
                     day: date) -> list[dict[str, Any]]:
    rows = [target_row(mapping, table, message, timestamp) for message, timestamp in messages]
    return [row for row in rows if str(row[table.changed] or "").startswith(day_key(day))]


async def report(mapping: Mapping, settings: Settings, exchange: ExchangeSettings, day: date) -> dict[str, Any]:
    """The reconciliation report of ``day`` (the target standard's time zone) for every mapped table."""
    topics = {table.table: feed_topic(table.entity, settings.namespace, SUBSCRIBER) for table in mapping.tables}
    state = await latest_messages(settings, list(topics.values()))
    tables = []
    for table in mapping.tables:
        ours = ybss_rows_of_day(mapping, table, state[topics[table.table]], day)
        theirs = rows_of_day(exchange.target_dsn, table, day_key(day))
        divisions = compare(table, ours, theirs)
        tables.append({"table": table.table, "entity": table.entity.value, "divisions": divisions,
                       "matches": all(entry["matches"] for entry in divisions)})
    return {"day": day.isoformat(), "standard": mapping.name, "namespace": settings.namespace,
            "matches": all(entry["matches"] for entry in tables), "tables": tables}
