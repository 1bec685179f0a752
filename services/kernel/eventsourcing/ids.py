"""Record ids: a prefix naming the kind (P persons, H houses, U units ...) and a time-ordered UUIDv7 in hex."""

from __future__ import annotations

from uuid6 import uuid7


def new_id(prefix: str, separator: str = "") -> str:
    return f"{prefix}{separator}{uuid7().hex}"
