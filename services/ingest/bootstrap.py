"""Composition root of the ingest gate (社会化采集), a context of the *gateway* kind: no aggregate and no event
store of its own; it checks agencies' records, forwards them to the registry that owns them and keeps the
batches, rows and address reviews in its own collections. This module builds the one thing its routes, its
consumers and the tests are handed: the ``Gateway`` (its collections, the Kafka producer, the settings), never
the Runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends
from pymongo.asynchronous.database import AsyncDatabase

from services.kernel.base.settings import Settings
from services.kernel.messaging.runtime import Runtime
from services.kernel.web.deps import runtime


@dataclass(frozen=True)
class Gateway:
    """What submitting, importing and forwarding use: the gate's database, the producer, the settings."""

    db: AsyncDatabase
    producer: AIOKafkaProducer
    settings: Settings


def for_runtime(rt: Runtime) -> Gateway:
    """The gateway of a running service."""
    return Gateway(rt.db, rt.producer, rt.settings)


def gateway(rt: Annotated[Runtime, Depends(runtime)]) -> Gateway:
    return for_runtime(rt)


#: what an ingest route declares to be handed the gateway
Gate = Annotated[Gateway, Depends(gateway)]
