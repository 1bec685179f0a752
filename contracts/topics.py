"""Topic names: the published language's addresses on Kafka.

A namespace prefix (default ``ybss``) lets test runs and staging share one broker without mixing logs.
The contexts themselves are listed once, in ``contracts.contexts``.
"""

from contracts.contexts import names

CONTEXTS = names()


def events_topic(context: str, namespace: str = "ybss") -> str:
    """``ybss.<context>.events``: keyed by stream id, kept forever, replayable from offset 0."""
    return f"{namespace}.{context}.events"


def access_log_topic(namespace: str = "ybss") -> str:
    """``ybss.access.events``: who read which record (查询留痕), from every context, for the audit service."""
    return f"{namespace}.access.events"


def context_topic(context: str, suffix: str, namespace: str = "ybss") -> str:
    """A context's other published topic, e.g. ``ybss.person.alerts``."""
    return f"{namespace}.{context}.{suffix}"


def dead_letter_topic(consumer: str, namespace: str = "ybss") -> str:
    """Where a consumer parks a message it could not apply, with the error in the headers."""
    return f"{namespace}.dlt.{consumer}"


def exchange_topic(table: str, namespace: str = "ybss") -> str:
    """``ybss.exchange.province.<table>``: the provincial exchange's target rows of one table (Kafka Connect JSON
    with its schema), keyed by the target's key, compacted; read by the JDBC sink (docs/EXCHANGE.md)."""
    return f"{namespace}.exchange.province.{table}"


def exchange_dead_letter_topic(namespace: str = "ybss") -> str:
    """死信 of the provincial exchange: records the mapper or the sink refused, the reason in the headers."""
    return f"{namespace}.exchange.dead-letters.province"
