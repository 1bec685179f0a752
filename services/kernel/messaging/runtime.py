"""The connections one service holds while it runs: MongoDB, the event store, Kafka, relay, projections."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts.topics import access_log_topic, events_topic
from services.kernel.base.logging import get_logger
from services.kernel.base.settings import Settings
from services.kernel.base.timeouts import cancel_and_wait, within
from services.kernel.eventsourcing.access_log import ACCESS_COLLECTION, AccessLog
from services.kernel.eventsourcing.claims import MongoClaims
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.consumers import ProjectionConsumers, subscribe
from services.kernel.messaging.generations import active_generation
from services.kernel.messaging.lease import LeasedRelay
from services.kernel.messaging.outbox import OutboxRelay
from services.kernel.messaging.parking import TopicLimit
from services.kernel.messaging.projection import Projection, physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.topics import ensure_topics, project_topics
from services.kernel.messaging.warmup import warm

log = get_logger(__name__)


def mongo_client(settings: Settings) -> AsyncMongoClient:
    # An unreachable server must become a quick 503 (services.kernel.web.http), not a request hanging 30 s.
    return AsyncMongoClient(settings.mongodb_uri, tz_aware=True, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000)


def kafka_producer(settings: Settings) -> AIOKafkaProducer:
    """acks=all and idempotence: a published event is on the broker once, in order, or we are told."""
    return AIOKafkaProducer(
        **settings.kafka_client_options(), acks="all", enable_idempotence=True, linger_ms=5,
    )


@dataclass
class Runtime:
    settings: Settings
    context: str
    projections: list[Projection] = field(default_factory=list)
    client: AsyncMongoClient | None = None
    db: AsyncDatabase | None = None
    store: EventStore | None = None
    claims: MongoClaims | None = None
    access_log: AccessLog | None = None
    access_relay: OutboxRelay | None = None
    producer: AIOKafkaProducer | None = None
    relay: OutboxRelay | None = None
    broker: KafkaBroker | None = None
    runners: dict[str, ProjectionRunner] = field(default_factory=dict)
    _watcher: asyncio.Task | None = None
    _warming: asyncio.Task | None = None  #: the live read models' first read (services.kernel.messaging.warmup)
    warmed: bool = False  #: /readyz gates on it: the first reader must not pay a cold collection's load

    async def start(self) -> None:
        settings = self.settings
        self.client = mongo_client(settings)
        self.db = self.client[settings.database_name(self.context)]
        self.store = EventStore(self.client, self.db)
        await self.store.ensure_indexes()
        self.claims = MongoClaims(self.db)
        access_store = EventStore(self.client, self.db, ACCESS_COLLECTION)
        await access_store.ensure_indexes()
        self.access_log = AccessLog(access_store, self.context)
        await self.access_log.ensure_retention(settings.access_outbox_retention_days)
        await ensure_topics(settings, project_topics(settings, [p.name for p in self.projections]))
        self.producer = kafka_producer(settings)
        await self.producer.start()
        topic = events_topic(self.context, settings.namespace)
        self.relay = OutboxRelay(
            self.store, self.producer, topic, self.context,
            batch_size=settings.relay_batch_size, idle_poll_seconds=settings.relay_idle_poll_seconds,
            record_limit=TopicLimit(settings.kafka_client_options(), topic),
        )
        self.relay = LeasedRelay.for_settings(self.relay, self.db, settings)  # publishes only while it leads
        self.relay.start()
        self.access_relay = OutboxRelay(
            access_store, self.producer, access_log_topic(settings.namespace), f"{self.context}-access",
            batch_size=settings.relay_batch_size, idle_poll_seconds=settings.relay_idle_poll_seconds,
            record_limit=TopicLimit(settings.kafka_client_options(), access_log_topic(settings.namespace)),
        )
        self.access_relay = LeasedRelay.for_settings(self.access_relay, self.db, settings)
        self.access_relay.start()
        if self.projections:
            await self._start_consumers()
            self._watcher = asyncio.create_task(self._watch_generations(), name=f"generations-{self.context}")
        else:
            self.warmed = True

    async def _start_consumers(self) -> None:
        """One partition-worker consumer per projection, on the generation currently live."""
        settings = self.settings
        self.broker = ProjectionConsumers(settings)  # a worker per partition
        for projection in self.projections:
            runner = ProjectionRunner.for_settings(projection, self.client, self.db, self.producer, settings,
                                                   await active_generation(self.db, projection.name))
            await runner.ensure_indexes()
            subscribe(self.broker, runner)
            self.runners[projection.name] = runner
        await self.broker.start()
        await cancel_and_wait(self._warming)
        self._warming = asyncio.create_task(self._warm_read_models(), name=f"warm-{self.context}")

    async def _warm_read_models(self) -> None:
        """Touch every live read-model collection once (after a start, and after a rebuild's swap)."""
        await warm(self.db[physical_name(logical, self.runners[p.name].generation)]
                   for p in self.projections for logical in p.collections)
        self.warmed = True

    async def _watch_generations(self) -> None:
        """After ``ybss rebuild`` flips a pointer, move the subscribers onto the new generation."""
        while True:
            await asyncio.sleep(self.settings.generation_poll_seconds)
            try:
                live = {p.name: await active_generation(self.db, p.name) for p in self.projections}
                if any(self.runners[name].generation != generation for name, generation in live.items()):
                    log.info("read model generation swapped; switching subscribers", generations=live)
                    await self.broker.stop()
                    await self._start_consumers()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - keep watching through outages
                log.warning("generation watch failed", error=repr(error))

    def read_model(self, projection: str, logical_name: str):
        """The live generation's collection of a read model this service owns."""
        return self.db[physical_name(logical_name, self.runners[projection].generation)]

    def consumer_group(self, projection: str) -> str | None:
        """The consumer group of the live generation of ``projection`` (None when this service runs no such one)."""
        runner = self.runners.get(projection)
        return runner.group_id if runner is not None else None

    async def stop(self) -> None:
        await cancel_and_wait(self._watcher)
        await cancel_and_wait(self._warming)
        if self.broker:
            await self.broker.stop()
        if self.relay:
            await self.relay.stop()
        if self.access_relay:
            await self.access_relay.stop()
        if self.producer:
            await self.producer.stop()
        if self.client:
            await self.client.close()

    async def ready(self) -> dict[str, str]:
        """Check both dependencies answer now; used by /readyz."""
        checks: dict[str, str] = {}
        try:
            await within(2, self.client.admin.command("ping"))
            checks["mongodb"] = "ok"
        except Exception as error:  # noqa: BLE001 - readiness reports, it does not crash
            checks["mongodb"] = f"unreachable: {error!r}"
        try:
            await within(2, self.producer.client.fetch_all_metadata())
            checks["kafka"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["kafka"] = f"unreachable: {error!r}"
        checks["read_models"] = "ok" if self.warmed else "warming"
        return checks
