"""A feed message as a target row (目标记录), and that row as a Kafka Connect JSON record the JDBC sink upserts.

Pure. A value the mapping cannot give (missing, not in its code table, not a date) becomes null: the sink, not the
mapper, refuses a row whose mandatory element is null (its converter checks the schema), so such a record lands in
the dead-letter list with the reason instead of vanishing here.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from contracts.feeds import FeedMessage
from services.exchange.mapping import Column, Mapping, Table

CONNECT_TYPES = {"string": "string", "int64": "int64", "float64": "double"}


def _path(state: dict[str, Any], path: str) -> Any:
    value: Any = state
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _code_key(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _formatted(column: Column, value: Any, zone: ZoneInfo) -> Any:
    if column.format == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%Y%m%d")
        except ValueError:
            return None
    if column.format == "timestamp":
        return value.astimezone(zone).strftime("%Y%m%d%H%M%S")
    if column.format == "digits":
        return "".join(ch for ch in str(value) if ch.isdigit()) or None
    return value


def _typed(column: Column, value: Any) -> Any:
    try:
        if column.type == "int64":
            return int(value)
        if column.type == "float64":
            return float(value)
    except (TypeError, ValueError):
        return None
    text = str(value)
    return text[: column.max_length] if column.max_length else text


def column_value(mapping: Mapping, column: Column, message: FeedMessage, changed_at: datetime) -> Any:
    """One data element's value for ``message`` (None when ybss has nothing that fits)."""
    specials = {"$record_id": message.record_id, "$version": message.version, "$changed_at": changed_at}
    value = specials[column.source] if column.source in specials else _path(message.state, column.source)
    if value is None or value == "":
        value = column.default
    if value is None:
        return None
    if column.codes is not None:
        value = mapping.codes[column.codes].get(_code_key(value))
        if value is None:
            return None
    value = _formatted(column, value, ZoneInfo(mapping.timezone))
    return None if value is None else _typed(column, value)


def changed_at(timestamp_ms: int) -> datetime:
    """The change time of a feed message: its Kafka timestamp (the moment the feed published the state)."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc)


def target_row(mapping: Mapping, table: Table, message: FeedMessage, timestamp_ms: int) -> dict[str, Any]:
    """The row ``message`` becomes in ``table``: every column, in the table's order."""
    at = changed_at(timestamp_ms)
    return {column.name: column_value(mapping, column, message, at) for column in table.columns}


def _schema(table: Table, columns: tuple[Column, ...], name: str) -> dict[str, Any]:
    fields = [{"field": column.name, "type": CONNECT_TYPES[column.type], "optional": not column.required}
              for column in columns]
    return {"type": "struct", "name": f"{table.table}.{name}", "optional": False, "fields": fields}


def connect_key(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The record key: the target's primary key, with its schema (JsonConverter, schemas.enable)."""
    return {"schema": _schema(table, (table.column(table.key),), "Key"), "payload": {table.key: row[table.key]}}


def connect_value(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The record value: the whole row with its schema; a mandatory element is a non-optional field."""
    return {"schema": _schema(table, table.columns, "Value"), "payload": row}
