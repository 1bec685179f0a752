"""The target database's side (目标库): the rows of one table changed on one day, read with psycopg."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from services.exchange.mapping import Table


def rows_of_day(dsn: str, table: Table, day: str) -> list[dict[str, Any]]:
    """Rows of ``table`` whose change time falls on ``day`` (YYYYMMDD); none while the sink has not made it."""
    names = [column.name for column in table.columns]
    query = sql.SQL("SELECT {} FROM {} WHERE substr({}, 1, 8) = %s").format(
        sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(table.table), sql.Identifier(table.changed))
    with psycopg.connect(dsn, connect_timeout=10) as connection:
        try:
            cursor = connection.execute(query, (day,))
        except psycopg.errors.UndefinedTable:
            return []
        return [dict(zip(names, row)) for row in cursor.fetchall()]
