"""Projection consumers: one aiokafka consumer per projection, one worker task per assigned partition.

Why not FastStream here: a FastStream subscriber hands over one message at a time across all partitions, so
one big building stalls every other stream, and its manual-ack traps (issues #2618, #1980: a nacked
message later committed over by the next success) are easy to fall into. Here each partition's worker
takes what the poll returned for *its* partition, has the runner settle a prefix of it in one transaction,
and only then commits that partition's offset -- never past an unapplied message. Per-stream order holds
because the stream id is the record key. An infrastructure failure seeks the partition back to the batch
start (aiokafka drops records fetched from the old position) and retries after a pause.

On a rebalance the revoked partitions' workers finish the batch in hand (its commit is still valid while
the listener runs), then stop; a worker that does not finish in time is cancelled, which aborts its
transaction, and the new owner applies the batch again (duplicates are dropped by version).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from aiokafka.structs import OffsetAndMetadata
from pymongo.errors import OperationFailure, PyMongoError

from services.kernel.base.logging import get_logger
from services.kernel.base.settings import Settings
from services.kernel.base.timeouts import within
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.topics import ensure_topics

log = get_logger(__name__)

REWIND_BACKOFF_SECONDS = 0.5
POLL_TIMEOUT_MS = 200
REVOKE_GRACE_SECONDS = 5.0
# While a partition has a backlog its offsets are committed at most this often (a commit is a broker round
# trip); once it is caught up, at once. Committing later than applying is safe: a redelivery is a duplicate.
COMMIT_INTERVAL_SECONDS = 0.5


def _is_conflict(error: BaseException) -> bool:
    return isinstance(error, OperationFailure) and error.has_error_label("TransientTransactionError")


def _backoff(error: BaseException) -> float:
    """A write conflict with another partition's transaction is retried almost at once; an outage is not.
    (SecantusDB reports conflicts between transactions writing different documents of one collection.)"""
    return random.uniform(0.01, 0.1) if _is_conflict(error) else REWIND_BACKOFF_SECONDS


class PartitionWorkers(ConsumerRebalanceListener):
    """Feeds one runner from its topics with a worker per partition and per-partition manual commits."""

    def __init__(self, runner: ProjectionRunner, settings: Settings) -> None:
        self.runner = runner
        self.settings = settings
        self.consumer: AIOKafkaConsumer | None = None
        self.workers: dict[TopicPartition, asyncio.Task] = {}
        self._stopping: dict[TopicPartition, asyncio.Event] = {}

    async def start(self) -> None:
        runner = self.runner
        await ensure_topics(self.settings, runner.topics)  # aiokafka refuses to subscribe to a missing topic
        self.consumer = AIOKafkaConsumer(
            **self.settings.kafka_client_options(), group_id=runner.group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=runner.session_timeout_ms,
            heartbeat_interval_ms=runner.heartbeat_interval_ms, max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=100,
        )
        self.consumer.subscribe(runner.topics, listener=self)
        await self.consumer.start()

    async def stop(self) -> None:
        await self._stop_workers(list(self.workers))
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._stop_workers([tp for tp in revoked if tp in self.workers])
        self.runner.forget()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.runner.forget()  # while we did not own a partition, another consumer may have moved its streams
        for tp in assigned:
            if tp not in self.workers:
                self._stopping[tp] = asyncio.Event()
                self.workers[tp] = asyncio.create_task(
                    self._work(tp), name=f"projection-{self.runner.projection.name}-{tp.topic}-{tp.partition}")

    async def _stop_workers(self, partitions: list[TopicPartition]) -> None:
        """Every worker is told at once and waited for together: the grace is one grace, not one per partition
        (a service's stop on a loaded machine took 5 s times its partitions, past its orchestrator's patience)."""
        for tp in partitions:
            self._stopping[tp].set()
        await asyncio.gather(*(self._stop_worker(tp) for tp in partitions))

    async def _stop_worker(self, tp: TopicPartition) -> None:
        task = self.workers.pop(tp)
        try:
            await within(REVOKE_GRACE_SECONDS, asyncio.shield(task))
        except asyncio.TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except Exception:  # noqa: BLE001 - a crashed worker was already logged
            pass
        self._stopping.pop(tp, None)

    async def _work(self, tp: TopicPartition) -> None:
        """Poll this partition, settle a prefix of what is pending, commit it, repeat."""
        consumer, runner, stopping = self.consumer, self.runner, self._stopping[tp]
        pending: list[Any] = []
        uncommitted: int | None = None  # applied up to here, offset not committed yet
        committed_at = time.monotonic()
        cap = runner.limits.max_events  # halved after a write conflict, doubled back after each success
        while not stopping.is_set():
            try:
                room = runner.limits.max_events - len(pending)
                if room > 0:
                    fetched = await consumer.getmany(tp, timeout_ms=0 if pending else POLL_TIMEOUT_MS,
                                                     max_records=room)
                    pending.extend(fetched.get(tp, []))
                if not pending:
                    if uncommitted is not None:  # caught up: commit at once
                        await self._commit(tp, uncommitted)
                        uncommitted, committed_at = None, time.monotonic()
                    continue
                settled = await runner.apply_batch(pending, cap)
            except asyncio.CancelledError:
                raise
            except IllegalStateError:
                return  # the partition was taken away under us; the rebalance listener is stopping this worker
            except (PyMongoError, KafkaError, OSError) as error:
                # Not the message's fault: rewind this partition to the batch start and try again later.
                log.warning("projection transaction failed, rewinding to the batch start", projection=runner.projection.name,
                            error=repr(error), topic=tp.topic, partition=tp.partition,
                            offset=pending[0].offset if pending else None)
                if pending:
                    consumer.seek(tp, pending[0].offset)
                    pending = []
                if uncommitted is not None:  # what was applied before the failure may still be committed
                    await self._commit(tp, uncommitted)
                    uncommitted = None
                if _is_conflict(error):  # a smaller transaction is less likely to meet another partition's
                    cap = max(1, cap // 2)
                await asyncio.sleep(_backoff(error))
                continue
            except Exception as error:  # noqa: BLE001 - a worker that dies silently would stall its partition
                log.exception("projection worker error, rewinding", projection=runner.projection.name,
                              error=repr(error), topic=tp.topic, partition=tp.partition)
                if pending:
                    consumer.seek(tp, pending[0].offset)
                    pending = []
                await asyncio.sleep(REWIND_BACKOFF_SECONDS)
                continue
            uncommitted = pending[settled - 1].offset + 1
            pending = pending[settled:]
            cap = min(runner.limits.max_events, cap * 2)
            if time.monotonic() - committed_at >= COMMIT_INTERVAL_SECONDS:
                await self._commit(tp, uncommitted)
                uncommitted, committed_at = None, time.monotonic()
        if uncommitted is not None:
            await self._commit(tp, uncommitted)

    async def _commit(self, tp: TopicPartition, offset: int) -> None:
        try:
            await self.consumer.commit({tp: OffsetAndMetadata(offset, "")})
        except KafkaError as error:
            # Applied but not committed (a rebalance is under way): a redelivery is dropped by version.
            log.warning("offset commit failed", projection=self.runner.projection.name, error=repr(error),
                        topic=tp.topic, partition=tp.partition, offset=offset)


def consumers_run_here() -> bool:
    """``YBSS_PROJECTION_CONSUMERS=separate``: this process serves the API only; ``ybss consume`` applies events.

    One event loop doing routes, relay and projections is CPU-bound long before the database is; a second
    process lets the two use both cores. The API process still knows its read models' live generations."""
    return os.environ.get("YBSS_PROJECTION_CONSUMERS", "in-process") != "separate"


class ProjectionConsumers:
    """The set of projection consumers one service runs; started and stopped together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.members: list[PartitionWorkers] = []
        self.active = consumers_run_here()

    def add(self, runner: ProjectionRunner) -> PartitionWorkers:
        workers = PartitionWorkers(runner, self.settings)
        self.members.append(workers)
        return workers

    async def start(self) -> None:
        if not self.active:
            log.info("projection consumers run in a separate process (ybss consume)")
            return
        for member in self.members:
            await member.start()

    async def stop(self) -> None:
        await asyncio.gather(*(member.stop() for member in self.members), return_exceptions=True)
        self.members = []


def subscribe(consumers: ProjectionConsumers, runner: ProjectionRunner) -> None:
    """Give ``runner`` its consumer (kept as a function: the runtime wires projections through it)."""
    consumers.add(runner)
