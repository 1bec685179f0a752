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
        _EVENT_TYPES[cls.__name__] = cls

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__


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


class UnknownEventType(LookupError):
    """A stored or consumed event whose type this code base does not know."""
