"""Topic names: the published language's addresses on Kafka.

A namespace prefix (default ``ybss``) lets test runs and staging share one broker without mixing logs.
"""

CONTEXTS = ("address", "person", "house", "unit", "audit")


def events_topic(context: str, namespace: str = "ybss") -> str:
    """``ybss.<context>.events``: keyed by stream id, kept forever, replayable from offset 0."""
    return f"{namespace}.{context}.events"


def dead_letter_topic(consumer: str, namespace: str = "ybss") -> str:
    """Where a consumer parks a message it could not apply, with the error in the headers."""
    return f"{namespace}.dlt.{consumer}"
