"""Create the project's topics explicitly: partitions and retention are decisions, not broker defaults."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from contracts.contexts import CONTEXTS
from contracts.topics import access_log_topic, context_topic, dead_letter_topic, events_topic
from services.kernel.base.settings import Settings

KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}
#: the integration feeds (contracts.feeds): the latest state per key is kept forever, older states compacted away
COMPACTED = {"cleanup.policy": "compact", "retention.ms": "-1", "retention.bytes": "-1"}


def project_topics(settings: Settings, dead_letter_consumers: list[str] = ()) -> list[str]:
    """Every context's event and extra topics, the access log, and the dead-letter topic of every projection."""
    ns = settings.namespace
    consumers = {projection for context in CONTEXTS for projection in context.projections} | set(dead_letter_consumers)
    return ([events_topic(context.name, ns) for context in CONTEXTS]
            + [context_topic(context.name, suffix, ns) for context in CONTEXTS for suffix in context.extra_topics]
            + [access_log_topic(ns)]
            + [dead_letter_topic(consumer, ns) for consumer in sorted(consumers)])


async def ensure_topics(settings: Settings, names: list[str], configs: dict[str, str] = KEEP_FOREVER) -> list[str]:
    """Create any of ``names`` that are missing, with the configured partitions and ``configs`` (infinite
    retention unless told)."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            topics = [
                NewTopic(
                    name=name,
                    num_partitions=settings.topic_partitions,
                    replication_factor=settings.topic_replication_factor,
                    topic_configs=configs,
                )
                for name in missing
            ]
            try:
                await admin.create_topics(topics)
            except TopicAlreadyExistsError:
                pass  # another service created it between our list and create
        return missing
    finally:
        await admin.close()
