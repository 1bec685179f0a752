"""The exchange's topic and connector names, per namespace."""

from __future__ import annotations

from contracts import topics
from services.exchange.mapping import Table


def exchange_topic(table: Table, namespace: str) -> str:
    """``<ns>.exchange.province.<table>``: the target rows of one table, keyed by the target's key (compacted)."""
    return topics.exchange_topic(table.table, namespace)


def dead_letter_topic(namespace: str) -> str:
    """死信: records the sink refused (Connect's errors.deadletterqueue.topic.name)."""
    return topics.exchange_dead_letter_topic(namespace)


def connector_name(namespace: str) -> str:
    return f"{namespace}-exchange-province"


def relay_group(namespace: str) -> str:
    """The consumer group the mapper reads the province's feeds with."""
    return f"{namespace}.exchange.province"
