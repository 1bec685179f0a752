"""Base class and registry of domain events: past-tense facts with a schema version and upcasters.

An event class's name is its ``event_type``. Old payloads are never rewritten: when a schema changes, bump
``schema_version`` on the class and register an upcaster from the old version, so every reader (services,
audit replay, agencies) sees the newest shape.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from pydantic import BaseModel, ConfigDict

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_EVENT_TYPES: dict[str, type["DomainEvent"]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class DomainEvent(BaseModel):
    """A fact in the past tense. Subclasses are registered by name when they are defined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        existing = _EVENT_TYPES.get(cls.__name__)
        if existing is not None and (existing.__module__, existing.__qualname__) != (cls.__module__, cls.__qualname__):
            raise DuplicateEventType(cls.__name__, existing, cls)
        _EVENT_TYPES[cls.__name__] = cls

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        """How this fact changes its record's state, as a plain dict: declared with the event (in contracts/)
        so that any consumer (the audit service, a future agency) can fold a stream without importing the
        owning service. The default sets every payload field; events that append, remove or rename override it.
        """
        return {**state, **self.model_dump(mode="json")}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning payload version ``from_version`` into ``from_version + 1``."""

    def register(function: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = function
        return function

    return register


def upcast(event_type: str, schema_version: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Bring a stored payload to the newest schema version by chaining upcasters."""
    while (event_type, schema_version) in _UPCASTERS:
        payload = _UPCASTERS[(event_type, schema_version)](payload)
        schema_version += 1
    return schema_version, payload


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def registered_event_types() -> dict[str, type[DomainEvent]]:
    return dict(_EVENT_TYPES)


class DuplicateEventType(TypeError):
    """Two event classes with one name: the second would silently replace the first in the registry."""

    def __init__(self, name: str, first: type, second: type) -> None:
        super().__init__(f"event type {name!r} is defined twice: {first.__module__}.{first.__qualname__} and "
                         f"{second.__module__}.{second.__qualname__}; event names must be unique")


class UnknownEventType(LookupError):
    """A stored or consumed event whose type this code base does not know."""
