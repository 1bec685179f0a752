"""Collection baselines (采集率基数) and targets (考核目标) as of a time, from the audit's own archived streams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.domain import baseline, targets
from services.audit.domain.history import payload_of
from services.audit.views.audit_streams import audit_streams


def _setting(document: dict[str, Any]) -> dict[str, Any]:
    """An archived setting as the pure rules read it: its payload, stream version, time and who."""
    actor = document["actor"]
    return {**payload_of(document), "version": document["version"], "recorded_at": document["recorded_at"],
            "actor": actor.get("id")}


async def imports(archive: AsyncCollection, as_of: datetime) -> list[dict[str, Any]]:
    """Every baseline import recorded up to ``as_of`` (each scope's versions, oldest first)."""
    grouped = await audit_streams(archive, baseline.BaselineImports.stream_type, as_of)
    return [_setting(document) for documents in grouped.values() for document in documents]


async def baselines_in_force(archive: AsyncCollection, as_of: datetime,
                             within: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """{division: {metric: {value, version, scope, source, recorded_at}}} inside ``within`` as of the time."""
    singles = [_setting(documents[-1]) for documents in
               (await audit_streams(archive, baseline.Baseline.stream_type, as_of)).values()]
    return baseline.in_force(await imports(archive, as_of), singles, within or "")


async def target_settings(archive: AsyncCollection, as_of: datetime) -> dict[str, list[dict[str, Any]]]:
    """{division: its target settings up to ``as_of``, oldest first} (each setting one version)."""
    grouped = await audit_streams(archive, targets.Targets.stream_type, as_of)
    found: dict[str, list[dict[str, Any]]] = {}
    for documents in grouped.values():
        settings = [_setting(document) for document in documents]
        found[settings[-1]["division_code"]] = settings
    return found


async def targets_in_force(archive: AsyncCollection, as_of: datetime, division_code: str) -> dict[str, Any]:
    """The targets ``division_code`` is judged against as of the time, with the version they are."""
    latest = [settings[-1] for settings in (await target_settings(archive, as_of)).values()]
    return targets.in_force(latest, division_code)
