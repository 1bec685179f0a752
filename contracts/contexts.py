"""The one registry of bounded contexts: every tool that lists services reads it.

The CLI, the launcher (``make run``), topic creation, schema export, the Kubernetes manifests and their
tests all take the contexts from here, so adding a context edits one place. It is data, not code: the
service itself is found by convention at ``services.<name>.app`` (its ``SPEC``), and the projections named
here must be the ones that service registers (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContextSpec:
    """One bounded context as operations see it."""

    name: str
    port: int
    title: str  #: human name, with the Chinese term
    consumes: tuple[str, ...] = ()  #: other contexts whose event topics its projections read
    projections: tuple[str, ...] = ()  #: read models it owns (each has a consumer group and a dead-letter topic)
    extra_topics: tuple[str, ...] = ()  #: topic suffixes it publishes besides its events (``alerts`` → ybss.<name>.alerts)
    reads_access_log: bool = False  #: consumes the access-log topic (查询留痕)

    @property
    def module(self) -> str:
        return f"services.{self.name}"


CONTEXTS: tuple[ContextSpec, ...] = (
    ContextSpec("address", 8001, "标准地址 standard addresses", projections=("address-registry",),
                extra_topics=("ingest",)),
    ContextSpec("person", 8002, "实有人口 actual population", consumes=("address", "house", "unit"),
                projections=("person-registry", "person-addresses", "person-whereabouts", "person-watch"),
                extra_topics=("ingest", "alerts")),
    ContextSpec("house", 8003, "实有房屋 actual houses", consumes=("address", "person", "unit"),
                projections=("house-registry", "house-addresses", "house-occupants", "house-units"),
                extra_topics=("ingest",)),
    ContextSpec("unit", 8004, "实有单位 actual units", consumes=("address", "person"),
                projections=("unit-registry", "unit-addresses", "unit-persons"), extra_topics=("ingest",)),
    ContextSpec("audit", 8005, "审计 change history, inspections, quality",
                consumes=("address", "person", "house", "unit", "ingest"), reads_access_log=True, projections=("audit-archive", "audit-figures")),
    ContextSpec("ingest", 8006, "社会化采集 agency ingestion gate (data standard, batches, 采集表, 地址治理, 信息申报)",
                projections=("ingest-declarations",), extra_topics=("ingest",)),
)

_BY_NAME = {context.name: context for context in CONTEXTS}


def context(name: str) -> ContextSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown context {name!r}; known: {', '.join(_BY_NAME)}") from None


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)
