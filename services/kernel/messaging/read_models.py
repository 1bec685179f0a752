"""The read-model port (读模型端口): what views, read routes and read-your-writes need of a context's read side.

A view asks for a collection by projection and logical name (``read_model``) and uses only find, find_one,
count_documents, aggregate and distinct on it; read-your-writes also needs what the event store holds and how far
a projection got. Running services hand views ``LiveReadModels`` (over the Runtime, through FastAPI
dependencies); unit tests hand them ``services.kernel.messaging.memory_reads.InMemoryReadModels``, so a view is tested
without a database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from services.kernel.eventsourcing.ports import EventStorePort
    from services.kernel.messaging.runtime import Runtime


class ReadModel(Protocol):
    """One read-model collection as views use it (an AsyncCollection in service, an in-memory one in tests)."""

    def find(self, filter: dict | None = None, *args: Any, **kwargs: Any) -> Any: ...

    async def find_one(self, filter: dict | None = None, *args: Any, **kwargs: Any) -> dict | None: ...

    async def count_documents(self, filter: dict, **kwargs: Any) -> int: ...

    async def aggregate(self, pipeline: list[dict], **kwargs: Any) -> Any: ...

    async def distinct(self, key: str, filter: dict | None = None, **kwargs: Any) -> list: ...


class ReadModels(Protocol):
    """A context's read side: its collections, its event store (read only) and its projections' progress."""

    store: EventStorePort

    @property
    def read_wait_seconds(self) -> float:
        """How long read-your-writes waits for a projection before 503."""

    def read_model(self, projection: str, logical_name: str) -> ReadModel:
        """The live generation's collection ``logical_name`` of ``projection``."""

    async def applied_version(self, projection: str, stream_id: str) -> int:
        """The last version of ``stream_id`` that ``projection`` has applied (0 for none)."""


class LiveReadModels:
    """The read-model port of a running service: only the read side of its Runtime, nothing that writes."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.store = runtime.store

    @property
    def read_wait_seconds(self) -> float:
        return self._runtime.settings.read_wait_timeout_seconds

    def read_model(self, projection: str, logical_name: str) -> ReadModel:
        return self._runtime.read_model(projection, logical_name)

    async def applied_version(self, projection: str, stream_id: str) -> int:
        return await self._runtime.runners[projection].applied_version(stream_id)
