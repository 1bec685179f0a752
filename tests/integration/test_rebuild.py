"""Rebuild from offset 0 into a fresh generation equals the live read model, and the swap is picked up."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.address.projections import registry
from services.kernel.messaging.generations import active_generation
from services.kernel.messaging.projection import physical_name
from services.kernel.operations.rebuild import rebuild
from tests.integration.address_helpers import read_doorplate, register_doorplate
from tests.integration.conftest import unique_name


async def caught_up_with_the_log(settings, runner, timeout: float = 30.0) -> None:
    """Wait until the live subscriber has committed every partition to its end (other tests' events too)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        described = await admin.describe_topics(runner.topics)
        partitions = [TopicPartition(topic["topic"], partition["partition"])
                      for topic in described for partition in topic["partitions"]]
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            end = await consumer.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(runner.group_id)
            if all((committed.get(tp).offset if committed.get(tp) else 0) >= end[tp] for tp in partitions):
                return
            await asyncio.sleep(0.2)
        raise AssertionError("the live read model did not catch up with the log")
    finally:
        await consumer.stop()
        await admin.close()


async def snapshot(db, logical: str, generation: int) -> dict:
    return {doc["_id"]: doc async for doc in db[physical_name(logical, generation)].find({})}


async def test_rebuild_equals_the_live_model_and_is_swapped_in(address_client, police_headers, settings):
    road = unique_name()
    plates = [await register_doorplate(address_client, police_headers, road, str(n)) for n in (1, 3, 5)]
    renamed = await address_client.post(f"/v1/doorplates/{plates[0]['code']}/renumber", json={"number": "7"},
                                        headers=police_headers)
    building = await address_client.post(f"/v1/doorplates/{plates[1]['code']}/buildings",
                                         json={"units": 1, "floors": 3, "rooms_per_floor": 2}, headers=police_headers)
    await read_doorplate(address_client, police_headers, renamed.json())
    await read_doorplate(address_client, police_headers, building.json())
    rt = address_client.fastapi.state.runtime
    live = rt.runners[registry.name].generation
    await caught_up_with_the_log(settings, rt.runners[registry.name])

    report = await rebuild(settings, "address", registry, swap=True)
    assert report.generation == live + 1 and report.events > 0
    for logical in registry.collections:
        rebuilt, current = await snapshot(rt.db, logical, report.generation), await snapshot(rt.db, logical, live)
        differing = {key: (rebuilt.get(key), current.get(key)) for key in set(rebuilt) | set(current)
                     if rebuilt.get(key) != current.get(key)}
        assert not differing, f"{logical}: {list(differing.items())[:2]}"
    assert await active_generation(rt.db, registry.name) == report.generation

    for _ in range(600):  # the service notices the swap and moves its subscriber
        if rt.runners[registry.name].generation == report.generation:
            break
        await asyncio.sleep(0.1)
    assert rt.runners[registry.name].generation == report.generation
    after = await register_doorplate(address_client, police_headers, road, "9")
    plate = await read_doorplate(address_client, police_headers, after)
    assert plate["door_number"] == "9号", "writes after the swap reach the new generation"


async def index_keys(db, collection: str) -> set[str]:
    return {index["name"] async for index in await db[collection].list_indexes()}


async def test_a_large_replay_makes_every_index_before_its_load(address_client, police_headers, settings,
                                                               monkeypatch):
    """Past INDEXES_FIRST_FROM events a rebuild makes its secondary indexes first (one index build over a city's
    collection never finished on SecantusDB); below it they are made after the load. Either way the generation
    ends with every index and the same documents."""
    from services.kernel.messaging.projection_runner import ProjectionRunner
    from services.kernel.operations import rebuild as replay

    await register_doorplate(address_client, police_headers, unique_name(), "1")
    seen: list[set[str]] = []
    original = ProjectionRunner.apply_batch

    async def spying(runner, records, max_events=None):
        if not seen and runner.memory is not None:  # a rebuild's first batch: its generation's doorplate indexes
            seen.append(await index_keys(runner.db, physical_name("doorplates", runner.generation)))
        return await original(runner, records, max_events)

    monkeypatch.setattr(ProjectionRunner, "apply_batch", spying)
    plates = {}
    for threshold in (10**9, 0):
        monkeypatch.setattr(replay, "INDEXES_FIRST_FROM", threshold)
        seen.clear()
        report = await rebuild(settings, "address", registry, swap=False)
        db = address_client.fastapi.state.runtime.db
        made = await index_keys(db, physical_name("doorplates", report.generation))
        plates[threshold] = await snapshot(db, "doorplates", report.generation)
        assert {"door_key_1", "location_2dsphere"} <= made
        if threshold:
            assert "door_key_1" not in seen[0], "a small replay makes its secondary indexes after the load"
        else:
            assert "door_key_1" in seen[0], "a large replay makes every index before its load"
    small, large = plates[10**9], plates[0]
    assert small and small.keys() <= large.keys(), "the same doorplates either way (the second may see more events)"
