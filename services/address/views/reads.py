"""Read-side helpers shared by the address routes: collections, read-your-writes, public shapes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from services.address.config import address_settings
from services.address.projections import registry
from services.address.application import AddressService
from services.kernel.deps import runtime, wait_for_version
from services.kernel.errors import DomainRuleViolation, NotFound
from services.kernel.runtime import Runtime

MinVersion = Annotated[int, Query(ge=0, description="wait until the read model has applied this stream version "
                                                    "(the `version` a command returned): read your own write")]


def collection(rt: Runtime, logical: str):
    return rt.read_model(registry.name, logical)


async def caught_up(rt: Runtime, stream_id: str, min_version: int) -> None:
    """Wait for the read model to reach ``min_version``, unless that version was never written."""
    if not min_version:
        return
    stored = await rt.store.current_version(stream_id)
    if stored == 0:
        kind, _, code = stream_id.partition("-")
        raise NotFound(kind, code)
    if stored < min_version:
        raise DomainRuleViolation("min_version", "min_version.ahead",
                                  f"{stream_id} is at version {stored}; version {min_version} was never written",
                                  f"{stream_id} 当前版本为 {stored}，不存在版本 {min_version}")
    runner = rt.runners[registry.name]
    await wait_for_version(stream_id, min_version, lambda: runner.applied_version(stream_id),
                           rt.settings.read_wait_timeout_seconds)


def service(rt: Annotated[Runtime, Depends(runtime)]) -> AddressService:
    return AddressService(rt, address_settings())


def public(document: dict | None) -> dict | None:
    """Read-model document → API shape: ``code`` and ``version`` instead of storage fields."""
    if document is None:
        return None
    document = dict(document)
    document["code"] = document.pop("_id")
    if "_version" in document:
        document["version"] = document.pop("_version")
    document.pop("sort_key", None)
    return document
