"""Drop everything one namespace owns: its databases and topics (test runs, benchmarks, staging resets)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from services.kernel.base.settings import Settings
from services.kernel.messaging.runtime import mongo_client


async def drop_namespace(settings: Settings) -> None:
    if settings.namespace == "ybss":
        raise ValueError("refusing to drop the production namespace 'ybss'")
    client = mongo_client(settings)
    try:
        for name in await client.list_database_names():
            if name.startswith(f"{settings.namespace}_"):
                await client.drop_database(name)
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        topics = [topic for topic in await admin.list_topics() if topic.startswith((f"{settings.namespace}.", f"{settings.namespace}_"))]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
