"""Smoke test of the local stack (bash deploy/local/stack.sh up).

Kafka must answer a metadata request and round-trip a record; the
MongoDB-compatible server must answer ping and run a multi-document
transaction. Honours KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI like the services.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from pymongo import ASCENDING, MongoClient
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.integration

KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
MONGO = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/?replicaSet=secantus")


def test_kafka_answers_metadata_and_round_trips_a_record():
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"smoke-{uuid.uuid4().hex[:8]}"

    async def scenario():
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, request_timeout_ms=10000)
        await admin.start()
        try:
            cluster = await admin.describe_cluster()
            assert cluster["brokers"], cluster
            await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
            producer = AIOKafkaProducer(bootstrap_servers=KAFKA, enable_idempotence=True, acks="all")
            await producer.start()
            try:
                meta = await producer.send_and_wait(topic, b"v", key=b"k")
            finally:
                await producer.stop()
            consumer = AIOKafkaConsumer(
                topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest",
                group_id=f"smoke-{uuid.uuid4().hex[:8]}", enable_auto_commit=False,
            )
            await consumer.start()
            try:
                msg = await asyncio.wait_for(consumer.getone(), 30)
            finally:
                await consumer.stop()
            assert (msg.key, msg.value, msg.offset) == (b"k", b"v", meta.offset)
        finally:
            try:
                await admin.delete_topics([topic])
            finally:
                await admin.close()

    asyncio.run(scenario())


def test_mongo_ping_and_transaction():
    client = MongoClient(MONGO, serverSelectionTimeoutMS=10000)
    db = client[f"smoke_{uuid.uuid4().hex[:8]}"]
    try:
        assert client.admin.command("ping")["ok"] == 1
        events = db.events
        events.create_index([("stream_id", ASCENDING), ("version", ASCENDING)], unique=True)
        db.heads.insert_one({"_id": "s1", "version": 0})

        with client.start_session() as s, s.start_transaction():
            events.insert_many([{"stream_id": "s1", "version": v} for v in (1, 2)], session=s)
            db.heads.update_one({"_id": "s1"}, {"$set": {"version": 2}}, session=s)
        assert events.count_documents({"stream_id": "s1"}) == 2
        assert db.heads.find_one({"_id": "s1"})["version"] == 2

        # a conflicting append rolls the whole transaction back
        with pytest.raises(DuplicateKeyError):
            with client.start_session() as s, s.start_transaction():
                db.heads.update_one({"_id": "s1"}, {"$set": {"version": 3}}, session=s)
                events.insert_one({"stream_id": "s1", "version": 2}, session=s)
        assert db.heads.find_one({"_id": "s1"})["version"] == 2
    finally:
        client.drop_database(db.name)
        client.close()
