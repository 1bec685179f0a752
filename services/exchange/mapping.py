"""映射表: the mapping tables from ybss feed fields and codes to a target data standard, loaded from TOML.

The tables are configuration (one file per target standard), so a province's own standard is a new file, not code.
Loading checks the file whole and names the table, column and rule of the first mistake.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.feeds import EntityKind

EXAMPLE = Path(__file__).parent / "mappings" / "province_example.toml"

TYPES = frozenset({"string", "int64", "float64"})
FORMATS = frozenset({"date", "timestamp", "digits"})
#: sources that are not state fields: the record id, its version, the time of the change
SPECIAL_SOURCES = frozenset({"$record_id", "$version", "$changed_at"})


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the table, column and rule."""


@dataclass(frozen=True)
class Column:
    """One data element (数据元) of a target table and where its value comes from."""

    name: str
    source: str
    type: str = "string"
    format: str | None = None
    codes: str | None = None
    required: bool = False
    max_length: int | None = None
    description: str = ""
    default: str | None = None  #: the ybss value meant when the state has none (a house is active until demolished)


@dataclass(frozen=True)
class Table:
    """A target table fed by one entity kind's feed."""

    entity: EntityKind
    table: str
    key: str
    division: str
    changed: str
    columns: tuple[Column, ...]
    description: str = ""

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


@dataclass(frozen=True)
class Mapping:
    """A whole target standard: its tables, code tables and time zone."""

    name: str
    version: str
    timezone: str
    tables: tuple[Table, ...]
    codes: dict[str, dict[str, str]]

    def for_entity(self, entity: str) -> Table | None:
        return next((table for table in self.tables if table.entity == entity), None)


def _column(table: str, raw: dict[str, Any], codes: dict[str, dict[str, str]]) -> Column:
    where = f"tables.{table}.columns[{raw.get('name', '?')}]"
    try:
        column = Column(**raw)
    except TypeError as exc:
        raise MappingError(f"{where}: {exc}") from None
    if column.type not in TYPES:
        raise MappingError(f"{where}.type: one of {sorted(TYPES)}, not {column.type!r}")
    if column.format is not None and column.format not in FORMATS:
        raise MappingError(f"{where}.format: one of {sorted(FORMATS)}, not {column.format!r}")
    if column.codes is not None and column.codes not in codes:
        raise MappingError(f"{where}.codes: no code table {column.codes!r}")
    if column.source.startswith("$") and column.source not in SPECIAL_SOURCES:
        raise MappingError(f"{where}.source: one of {sorted(SPECIAL_SOURCES)} or a state field path")
    return column


def _table(name: str, raw: dict[str, Any], codes: dict[str, dict[str, str]]) -> Table:
    try:
        entity = EntityKind(raw["entity"])
        columns = tuple(_column(name, column, codes) for column in raw["columns"])
        table = Table(entity=entity, table=raw["table"], key=raw["key"], division=raw["division"],
                      changed=raw["changed"], columns=columns, description=raw.get("description", ""))
    except KeyError as exc:
        raise MappingError(f"tables.{name}: {exc.args[0]} is required") from None
    except ValueError as exc:
        if isinstance(exc, MappingError):
            raise
        raise MappingError(f"tables.{name}.entity: {exc}") from None
    names = [column.name for column in columns]
    for role in ("key", "division", "changed"):
        if getattr(table, role) not in names:
            raise MappingError(f"tables.{name}.{role}: {getattr(table, role)!r} is not one of its columns")
    if not table.column(table.key).required:
        raise MappingError(f"tables.{name}.key: the key column {table.key!r} must be required")
    return table


def load(path: Path = EXAMPLE) -> Mapping:
    """The mapping in ``path`` (TOML), checked whole."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path.name}: not TOML: {exc}") from None
    codes = {name: {str(k): str(v) for k, v in table.items()} for name, table in raw.get("codes", {}).items()}
    tables = tuple(_table(name, table, codes) for name, table in raw.get("tables", {}).items())
    entities = [table.entity for table in tables]
    if len(set(entities)) != len(entities):
        raise MappingError("tables: one table per entity kind")
    standard = raw.get("standard", {})
    return Mapping(name=standard.get("name", path.stem), version=str(standard.get("version", "")),
                   timezone=standard.get("timezone", "Asia/Shanghai"), tables=tables, codes=codes)
