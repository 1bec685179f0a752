"""Aggregates rebuilt from their events. Pure: no database, broker or metrics (the repository does I/O).

A command method checks the rules against current state and *records* events; recording applies the
event to the state at once, so the method and a later replay go through the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ClassVar, TypeVar

from contracts.envelope import Actor
from contracts.events import DomainEvent
from services.kernel.base.errors import Forbidden

E = TypeVar("E", bound=DomainEvent)


def applies(*event_types: type[E]) -> Callable[[Callable[[Any, E], None]], Callable[[Any, E], None]]:
    """Mark an aggregate method as the state change for one or more event types."""

    def mark(method: Callable[[Any, E], None]) -> Callable[[Any, E], None]:
        method._applies_to = event_types  # type: ignore[attr-defined]
        return method

    return mark


class Aggregate:
    """A consistency boundary with one event stream. ``version`` is the last stored version."""

    stream_type: ClassVar[str]
    _appliers: ClassVar[dict[type[DomainEvent], Callable[..., None]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._appliers = {}
        for base in reversed(cls.__mro__):
            for member in vars(base).values():
                for target in getattr(member, "_applies_to", ()):
                    cls._appliers[target] = member

    def __init__(self, stream_id: str) -> None:
        self.id = stream_id
        self.version = 0
        #: 归属辖区: division code of the jurisdiction owning the record; set by the registering event's
        #: applier, copied into every envelope so consumers scope by it without a lookup
        self.division_code: str | None = None
        self.pending: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.pending.append(event)

    def apply(self, event: DomainEvent) -> None:
        applier = self._appliers.get(type(event))
        if applier is None:
            raise TypeError(f"{type(self).__name__} has no applier for {event.event_type()}")
        applier(self, event)


class RecordAggregate(Aggregate):
    """An aggregate whose state is its published record: each of its ``events`` changes ``state`` by the event's
    own ``evolve`` (declared in contracts/), so the aggregate decides on exactly the record the read model, the
    replicas and the audit trail fold, and the record's ``division_code`` owns it. An ``@applies`` method of the
    subclass replaces the fold for its events (it may call ``_evolved`` itself)."""

    events: ClassVar[tuple[type[DomainEvent], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for event_type in cls.events:
            cls._appliers.setdefault(event_type, RecordAggregate._evolved)

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.state: dict[str, Any] = {}  #: the record, JSON values, as its events' ``evolve`` declare it

    def _evolved(self, event: DomainEvent) -> None:
        self.state = event.evolve(self.state)
        self.division_code = self.state.get("division_code")


@dataclass(frozen=True)
class CommandContext:
    """Who asked, and which conversation this belongs to: copied into every resulting envelope."""

    actor: Actor
    correlation_id: str
    causation_id: str | None = None
    occurred_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the caller's jurisdiction check (services.kernel.web.authz): raises Forbidden for a division outside it;
    #: None = no restriction (system commands, unit tests)
    jurisdiction: Callable[[str | None], None] | None = None

    def require_within(self, division_code: str | None) -> None:
        """Refuse (403) a record whose division lies outside the caller's jurisdiction."""
        if self.jurisdiction is not None:
            self.jurisdiction(division_code)

    def within(self, division_code: str | None) -> bool:
        """Whether the record's division lies inside the caller's jurisdiction (no answer is refused)."""
        try:
            self.require_within(division_code)
        except Forbidden:
            return False
        return True
