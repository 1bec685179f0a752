"""The person service's feed publisher alone: its CPU per 1,000 events while it tails a load, and idle, baseline
beside the working tree, alternating (issue 17, 历史数据导入).

    .venv/bin/python -m bench.feeds_publish [--persons 1000] [--rounds 3] [--rate 150] [--baseline REV]

A load's person events (tests/load_stream.py: persons, move-ins, key persons) are produced to the person events
topic at ``--rate`` events/s, keyed by stream as the outbox relay keys them; the registry's documents for them are
already in the registry collections (folded by the person registry's own handlers), and the registry's consumer
group commits ``REGISTRY_LAG`` seconds behind the producer, as a registry applying the same events would. The
publisher (``feed_publisher("person", ...)`` of the tree under test, the shipped subscribers: every person goes to
three topics) runs alone in its own process, with a fresh consumer group that starts at the topic's end; its CPU
(utime + stime from /proc) is read idle for ``IDLE_SECONDS`` and from the first event produced until its group has
committed the last one. Rounds alternate between ``--baseline`` (a git revision extracted to a scratch directory)
and the working tree, so the machine's load falls on both alike. Writes bench/results/feeds_publish.json: each
round's figures, the medians and the ratio working tree ÷ baseline, the load average. Everything it made (its
namespace's topics and databases) is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"feedbench{uuid.uuid4().hex[:6]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402
from aiokafka.structs import OffsetAndMetadata  # noqa: E402

from contracts.topics import events_topic  # noqa: E402
from services.kernel.base.logging import configure_logging  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402
from services.kernel.messaging.projection import physical_name  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: the commit before the feed publisher worked per poll (issue 17): `make bench`'s baseline
BASELINE = "1483d28"
REGISTRY = "person-registry"
REGISTRY_LAG = 0.3  #: seconds the registry's group commits behind the producer
IDLE_SECONDS = 10.0
WARM_UP_SECONDS = 8.0  #: the publisher's start and group join, before anything is measured
TICK = 0.1
CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK


# ------------------------------------------------------------------------------------------------ the publisher
class RegistryReads:
    """The read-model port as the publisher uses it: the registry's generation-1 collections."""

    def __init__(self, db) -> None:
        self.db = db

    def read_model(self, projection: str, logical_name: str):
        return self.db[physical_name(logical_name, 1)]


async def run_publisher(group: str, registry_group: str) -> None:
    """The tree's person feed publisher, alone in this process, until killed."""
    from services.feeds.publisher import feed_publisher
    from services.feeds.sources import sources_of
    from services.kernel.messaging.runtime import mongo_client

    configure_logging("WARNING")
    settings = get_settings()
    client = mongo_client(settings)
    reads = RegistryReads(client[settings.database_name("person")])
    print("started", flush=True)
    task = asyncio.ensure_future(feed_publisher("person", sources_of("person"), group=group)(
        settings, reads, lambda projection: registry_group if projection == REGISTRY else None))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await asyncio.gather(task, return_exceptions=True)


# ------------------------------------------------------------------------------------------------ the load
async def registry_documents(persons: int) -> tuple[list, dict[str, list[dict]]]:
    """A load's person events and the registry documents they fold into (the registry's own handlers, in memory)."""
    from services.kernel.messaging.memory_reads import InMemoryReadModels
    from services.person.projections import registry
    from tests.load_stream import CONTEXT_OF, load_stream

    events = [envelope for envelope in load_stream(persons, uuid.uuid4().hex[:6])
              if CONTEXT_OF[envelope.stream_type] == "person"]
    reads = InMemoryReadModels()
    await reads.apply(registry, events)
    documents = {name: [document async for document in reads.read_model(REGISTRY, name).find({})]
                 for name in registry.collections}
    return events, documents


async def prepare(settings, persons: int) -> list:
    """The events to produce each round; the registry documents stored; the events topic made."""
    from services.kernel.messaging.runtime import mongo_client
    from services.kernel.messaging.topics import ensure_topics

    events, documents = await registry_documents(persons)
    client = mongo_client(settings)
    db = client[settings.database_name("person")]
    for name, rows in documents.items():
        if rows:
            await db[physical_name(name, 1)].insert_many(rows)
    await client.close()
    await ensure_topics(settings, [events_topic("person", settings.namespace)])
    return events


async def partitions_of(settings, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [TopicPartition(topic, entry["partition"]) for entry in described["partitions"]]


async def commit(settings, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit ``offsets`` (the next offset to read) for ``group``, as a member-less group takes them."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()})
    finally:
        await consumer.stop()


async def end_offsets(settings, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def feed_messages_so_far(settings) -> int:
    """Messages on the person and key-person feed topics of the namespace (every grant's)."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(f"{settings.namespace}.feed.")]
    finally:
        await admin.close()
    partitions = [tp for topic in topics for tp in await partitions_of(settings, topic)]
    return sum((await end_offsets(settings, partitions)).values()) if partitions else 0


async def offer(settings, events: list, rate: float, registry_group: str, group: str, pid: int) -> dict:
    """Produce ``events`` at ``rate``/s with the registry's group following, until the publisher's group committed
    the last one; the publisher's CPU over that time."""
    topic = events_topic("person", settings.namespace)
    partitions = await partitions_of(settings, topic)
    ends = await end_offsets(settings, partitions)
    producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all", enable_idempotence=True, linger_ms=5)
    registry = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=registry_group, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await producer.start()
    await registry.start()
    await admin.start()
    registry.assign(partitions)
    produced: list[tuple[float, dict[TopicPartition, int]]] = []
    reached = dict(ends)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    try:
        sent = 0
        while True:
            now = time.monotonic()
            due = min(len(events), int((now - started) * rate) + 1)
            futures = [await producer.send(topic, events[i].to_bytes(), key=events[i].stream_id.encode())
                       for i in range(sent, due)]
            sent = due
            for metadata in await asyncio.gather(*futures):
                tp = TopicPartition(topic, metadata.partition)
                reached[tp] = max(reached[tp], metadata.offset + 1)
            produced.append((now, dict(reached)))
            behind = [offsets for at, offsets in produced if at <= now - REGISTRY_LAG]
            if behind:
                await registry.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in behind[-1].items()})
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            if sent == len(events) and all(committed.get(tp) is not None and committed[tp].offset >= reached[tp]
                                           for tp in partitions):
                break
            if now - started > 300:
                raise RuntimeError(f"the publisher did not catch up in 300 s: {committed} < {reached}")
            await asyncio.sleep(TICK)
        seconds, cpu = time.monotonic() - started, cpu_seconds(pid) - cpu_before
    finally:
        await admin.close()
        await registry.stop()
        await producer.stop()
    return {"events": len(events), "seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
            "cpu_s_per_1000_events": round(cpu * 1000 / len(events), 3)}


async def one_round(settings, events: list, tree: Path, rate: float, label: str) -> dict:
    """One publisher of ``tree``: idle CPU, then the load's CPU."""
    topic = events_topic("person", settings.namespace)
    group = f"feedbench{label}"
    registry_group = f"{settings.namespace}.{REGISTRY}.feedbench{label}"
    partitions = await partitions_of(settings, topic)
    ends = await end_offsets(settings, partitions)
    await commit(settings, f"{settings.namespace}.person-{group}", ends)  # it starts at the end, not at offset 0
    await commit(settings, registry_group, ends)
    messages_before = await feed_messages_so_far(settings)
    child = subprocess.Popen([sys.executable, "-m", "bench.feeds_publish", "--publisher", "--group", group,
                              "--registry-group", registry_group], cwd=tree, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    try:
        await asyncio.sleep(WARM_UP_SECONDS)
        if child.poll() is not None:
            raise RuntimeError(f"publisher of {tree} exited:\n{child.stderr.read()[-3000:]}")
        idle_before = cpu_seconds(child.pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle = cpu_seconds(child.pid) - idle_before
        figures = await offer(settings, events, rate, registry_group, f"{settings.namespace}.person-{group}", child.pid)
    finally:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    await asyncio.sleep(1)  # the last confirmed publishes are on every partition's end offset
    return {**figures, "idle_cpu_ms_per_s": round(idle * 1000 / IDLE_SECONDS, 1),
            "feed_messages": await feed_messages_so_far(settings) - messages_before}


# ------------------------------------------------------------------------------------------------ alternating
def summary(runs: dict[str, list[dict]]) -> dict:
    table = {}
    for tree, rounds in runs.items():
        table[tree] = {key: [r[key] for r in rounds] for key in rounds[0]}
        table[tree]["median_cpu_s_per_1000_events"] = statistics.median(r["cpu_s_per_1000_events"] for r in rounds)
        table[tree]["median_idle_cpu_ms_per_s"] = statistics.median(r["idle_cpu_ms_per_s"] for r in rounds)
    if "baseline" in table:
        for key in ("median_cpu_s_per_1000_events", "median_idle_cpu_ms_per_s"):
            table[f"ratio_{key[len('median_'):]}"] = round(table["working_tree"][key] / table["baseline"][key], 3)
    return table


async def main(persons: int, rounds: int, rate: float, baseline: str | None, keep: bool) -> dict:
    from bench.common import baseline_tree, machine
    from services.kernel.operations.namespaces import drop_namespace

    configure_logging("WARNING")
    settings = get_settings()
    trees = {"working_tree": ROOT}
    if baseline:
        trees = {"baseline": baseline_tree(baseline, "bench/feeds_publish.py", "tests/load_stream.py"), **trees}
    runs: dict[str, list[dict]] = {tree: [] for tree in trees}
    loads = [os.getloadavg()[0]]
    try:
        events = await prepare(settings, persons)
        for number in range(rounds):
            for tree, where in trees.items():
                runs[tree].append(await one_round(settings, events, where, rate, f"{tree[:4]}{number}"))
                loads.append(os.getloadavg()[0])
                print(tree, runs[tree][-1], flush=True)
    finally:
        if baseline:
            shutil.rmtree(trees["baseline"], ignore_errors=True)
        if not keep:
            await drop_namespace(settings)
    return {"what": "the person feed publisher alone while it tails a load: CPU seconds per 1,000 person events "
                    "and idle, baseline and working tree alternating",
            "persons": persons, "events": len(events), "rate_per_s": rate, "rounds": rounds, "baseline": baseline,
            "publisher": summary(runs),
            "load_average_1m": {"min": min(loads), "median": statistics.median(loads), "max": max(loads)},
            "machine": machine()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=150.0, help="person events produced per second")
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with ('' for none)")
    parser.add_argument("--keep", action="store_true", help="keep the namespace's topics and databases")
    parser.add_argument("--publisher", action="store_true", help="run one publisher in this process (internal)")
    parser.add_argument("--group", default="feedbench")
    parser.add_argument("--registry-group", default="")
    arguments = parser.parse_args()
    if arguments.publisher:
        profile = os.environ.get("YBSS_BENCH_PROFILE")  # a cProfile file of the publisher's whole life
        if profile:
            import cProfile

            cProfile.run("asyncio.run(run_publisher(arguments.group, arguments.registry_group))", profile)
        else:
            asyncio.run(run_publisher(arguments.group, arguments.registry_group))
    else:
        result = asyncio.run(main(arguments.persons, arguments.rounds, arguments.rate, arguments.baseline or None,
                                  arguments.keep))
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "feeds_publish.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, ensure_ascii=False))
