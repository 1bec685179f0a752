"""Topics are the project's decision: explicit partitions and infinite retention, never auto-created."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.kernel.messaging.topics import ensure_topics, project_topics


async def test_event_topics_have_six_partitions_and_are_kept_forever(settings):
    names = project_topics(settings)
    await ensure_topics(settings, names)
    assert await ensure_topics(settings, names) == [], "a second run creates nothing"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
        assert {topic["topic"]: len(topic["partitions"]) for topic in described} == {name: 6 for name in names}
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
        for response in responses:
            for resource in response.resources:
                configs = {entry[0]: entry[1] for entry in resource[4]}
                assert configs["retention.ms"] == "-1", resource[3]
    finally:
        await admin.close()
