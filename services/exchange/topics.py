"""The exchange's topic and connector names, per namespace."""

from __future__ import annotations

from services.exchange.mapping import Table


def exchange_topic(table: Table, namespace: str) -> str:
    """``<ns>.exchange.province.<table>``: the target rows of one table, keyed by the target's key (compacted)."""
    return f"{namespace}.exchange.province.{table.table}"


def dead_letter_topic(namespace: str) -> str:
    """死信: records the sink refused (Connect's errors.deadletterqueue.topic.name)."""
    return f"{namespace}.exchange.dead-letters.province"


def connector_name(namespace: str) -> str:
    return f"{namespace}-exchange-province"


def relay_group(namespace: str) -> str:
    """The consumer group the mapper reads the province's feeds with."""
    return f"{namespace}.exchange.province"
