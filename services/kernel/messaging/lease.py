"""Leader election for the outbox relay: a MongoDB lease, so exactly one relay per context publishes.

Every replica of a context runs a candidate. The lease is one document (``leases`` collection of the
context's database, ``_id`` = the lease name) holding the holder, an expiry and a fencing token that grows
by one each time a new term begins. The holder renews it every ``renew_seconds``; a candidate takes it only
once it has expired. Times are the MongoDB primary's clock (read with ``hello``), so pods with skewed clocks
agree on when a lease ends; every write uses majority write concern, so a failover cannot roll a term back.

The holder stops publishing on its own once its term may have ended (``ttl - guard`` after the renewal was
sent, measured on its monotonic clock) even when it cannot reach MongoDB to learn so, and every send goes
through a fence that refuses to publish outside the term and stamps the term's token on the record
(header ``ybss-relay-term``), so a paused ex-leader that wakes up cannot slip a batch in.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from prometheus_client import Gauge
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.write_concern import WriteConcern

from services.kernel.base.logging import get_logger
from services.kernel.base.timeouts import cancel_and_wait, within

log = get_logger(__name__)

LEASES_COLLECTION = "leases"
TERM_HEADER = "ybss-relay-term"
_NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
RELAY_LEADER = Gauge("ybss_relay_leader", "1 while this process holds the relay lease of the context", ["context"])


def relay_lease_name(relay_context: str) -> str:
    """One lease per relay: ``outbox-relay-address``, ``outbox-relay-address-access``."""
    return f"outbox-relay-{relay_context}"


class LeaseLost(RuntimeError):
    """The relay tried to publish outside its term."""


def default_holder() -> str:
    """Pod name (the hostname on Kubernetes), process and a random suffix: unique per candidate."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class MongoLease:
    """One named lease: acquire when free or expired, renew while held, release on a clean stop."""

    def __init__(self, collection: AsyncCollection, name: str, holder: str, ttl_seconds: float) -> None:
        self.collection = collection.with_options(write_concern=WriteConcern("majority"))
        self.name = name
        self.holder = holder
        self.ttl = timedelta(seconds=ttl_seconds)
        self.guard = min(1.0, ttl_seconds / 4)  #: tolerated error of the server-clock estimate
        self.token: int | None = None  #: fencing token of the current term, None when not held
        self._valid_until = 0.0  #: monotonic instant after which this holder must assume it lost

    @classmethod
    def for_database(cls, db: AsyncDatabase, name: str, ttl_seconds: float, holder: str | None = None) -> MongoLease:
        return cls(db[LEASES_COLLECTION], name, holder or default_holder(), ttl_seconds)

    def held(self) -> bool:
        """True while this holder's term certainly lasts (no round trip: checked before every send)."""
        return self.token is not None and time.monotonic() < self._valid_until

    def remaining(self) -> float:
        """Seconds this holder may still trust its term."""
        return self._valid_until - time.monotonic() if self.token is not None else 0.0

    async def _server_now(self) -> datetime:
        """The primary's clock, corrected by half the round trip."""
        sent = time.monotonic()
        reply = await self.collection.database.client.admin.command("hello")
        elapsed = time.monotonic() - sent
        server_time = reply["localTime"]
        if server_time.tzinfo is None:
            server_time = server_time.replace(tzinfo=timezone.utc)
        return server_time + timedelta(seconds=elapsed / 2)

    def _start_term_clock(self, sent: float) -> None:
        self._valid_until = sent + self.ttl.total_seconds() - self.guard

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it, its term is over, or it is this holder's own: an acquire whose answer
        was lost (a timeout under load) took the lease without learning its token, and waiting for that term to
        run out would only lose the next answer the same way. A new term gets the next fencing token."""
        await self.collection.update_one(
            {"_id": self.name}, {"$setOnInsert": {"holder": None, "token": 0, "expires_at": _NEVER}}, upsert=True)
        sent = time.monotonic()
        now = await self._server_now()
        document = await self.collection.find_one_and_update(
            {"_id": self.name, "$or": [{"expires_at": {"$lt": now}}, {"holder": None}, {"holder": self.holder}]},
            {"$set": {"holder": self.holder, "expires_at": now + self.ttl, "acquired_at": now}, "$inc": {"token": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return False
        self.token = document["token"]
        self._start_term_clock(sent)
        return True

    async def renew(self) -> bool:
        """Extend the current term; False when another holder has taken the lease since."""
        if self.token is None:
            return False
        sent = time.monotonic()
        now = await self._server_now()
        result = await self.collection.update_one(
            {"_id": self.name, "holder": self.holder, "token": self.token}, {"$set": {"expires_at": now + self.ttl}})
        if result.matched_count != 1:
            self.token = None
            return False
        self._start_term_clock(sent)
        return True

    async def release(self) -> None:
        """End the term now so a standby takes over at once instead of after the TTL."""
        token, self.token = self.token, None
        if token is None:
            return
        await self.collection.update_one(
            {"_id": self.name, "holder": self.holder, "token": token}, {"$set": {"holder": None, "expires_at": _NEVER}})


class FencedProducer:
    """The relay's producer seen through the lease: no send outside the term, each send stamped with it."""

    def __init__(self, producer: Any, lease: MongoLease) -> None:
        self._producer = producer
        self._lease = lease

    async def send(self, topic: str, value: bytes | None = None, key: bytes | None = None, *args: Any,
                   headers: list[tuple[str, bytes]] | None = None, **kwargs: Any):
        token = self._lease.token
        if token is None or not self._lease.held():
            raise LeaseLost(f"relay lease {self._lease.name!r} is not held by {self._lease.holder}")
        headers = [*(headers or []), (TERM_HEADER, str(token).encode())]
        return await self._producer.send(topic, value, key, *args, headers=headers, **kwargs)

    async def send_and_wait(self, *args: Any, **kwargs: Any):
        return await (await self.send(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


class LeasedRelay:
    """Runs an ``OutboxRelay``'s ``run()`` only while holding the lease; cancels it as soon as the lease is lost.

    Presents the relay's own ``start()``/``stop()``, so the runtime swaps it in without other changes; any
    other attribute is the wrapped relay's.
    """

    def __init__(self, relay: Any, lease: MongoLease, renew_seconds: float) -> None:
        self.relay = relay
        self.lease = lease
        self.renew_seconds = renew_seconds
        self._task: asyncio.Task | None = None
        relay.producer = FencedProducer(relay.producer, lease)

    @classmethod
    def for_settings(cls, relay: Any, db: AsyncDatabase, settings: Any, holder: str | None = None) -> LeasedRelay:
        lease = MongoLease.for_database(db, relay_lease_name(relay.context), settings.relay_lease_ttl_seconds, holder)
        return cls(relay, lease, settings.relay_lease_renew_seconds)

    def is_leader(self) -> bool:
        return self.lease.held()

    async def run(self) -> None:
        """Campaign, lead while the lease holds, step down when it does not, campaign again; until cancelled."""
        try:
            while True:
                # slow is fine: the term is measured from before the call, so a late answer only shortens it
                if await self._attempt(self.lease.acquire, self.lease.ttl.total_seconds()):
                    log.info("relay lease acquired", context=self.relay.context, holder=self.lease.holder,
                             term=self.lease.token)
                    RELAY_LEADER.labels(self.relay.context).set(1)
                    try:
                        await self._lead()
                    finally:
                        RELAY_LEADER.labels(self.relay.context).set(0)
                    log.warning("relay lease lost; relay stopped", context=self.relay.context,
                                holder=self.lease.holder)
                await asyncio.sleep(self.renew_seconds)
        finally:
            await self._release()

    async def _lead(self) -> None:
        relay_task = asyncio.create_task(self.relay.run(), name=f"outbox-relay-{self.relay.context}")
        try:
            while self.lease.held():
                timeout = min(self.renew_seconds, self.lease.remaining())
                done, _ = await asyncio.wait({relay_task}, timeout=max(0.0, timeout))
                if done:
                    return  # run() only ends by raising: logged below, then the loop campaigns again
                if not await self._attempt(self.lease.renew, max(self.renew_seconds, self.lease.remaining())) \
                        and self.lease.token is None:
                    return  # another holder has the lease
        finally:
            relay_task.cancel()
            try:
                await relay_task
            except asyncio.CancelledError:
                pass
            except Exception as error:  # noqa: BLE001 - a dead relay ends the term; the loop campaigns again
                log.warning("outbox relay ended with an error", context=self.relay.context, error=repr(error))
            await self._flush()

    async def _flush(self) -> None:
        """Records already handed to the producer reach the broker before a successor can start publishing."""
        try:
            await within(self.lease.guard, self.relay.producer.flush())
        except Exception as error:  # noqa: BLE001 - a successor's copies are dropped by version anyway
            log.warning("relay flush on step-down failed", context=self.relay.context, error=repr(error))

    async def _attempt(self, operation, seconds: float) -> bool:
        """A lease call that reports False rather than raising while MongoDB is unreachable or too slow.

        Under load a lease call can take seconds: cutting it at the renew interval (as before) lost the lease
        and then every acquire, so a context's relay stopped publishing for as long as the load lasted."""
        try:
            return await within(max(seconds, 1.0), operation())
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the held() clock decides when an unrenewed term ends
            log.warning("relay lease call failed", context=self.relay.context, error=repr(error))
            return False

    async def _release(self) -> None:
        try:
            await asyncio.shield(within(5, self.lease.release()))
        except Exception as error:  # noqa: BLE001 - best effort: the TTL ends the term anyway
            log.warning("relay lease release failed", context=self.relay.context, error=repr(error))

    def start(self) -> None:
        RELAY_LEADER.labels(self.relay.context).set(0)
        self._task = asyncio.create_task(self.run(), name=f"relay-leader-{self.relay.context}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.relay, name)
