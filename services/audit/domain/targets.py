"""考核目标 (targets) as configuration with a version. Pure.

A supervisor sets the targets of a division (each setting the next version of ``targets-<division>``); a division
is judged against the targets set for the nearest division containing it, else the notice's (version 0). The
monthly report and the assessment both read them, and say which version they used.
"""

from __future__ import annotations

from typing import Any, Iterable

from contracts.audit import AssessmentTargetsSet
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.eventsourcing.aggregate import Aggregate, applies

#: the notice's targets (version 0): 采集率、准确率 95 %, addresses, houses and units 100 %; a registration with a
#: deadline is due on time every time (登记及时率 100 %)
NOTICE = {"persons_collection_rate": 0.95, "persons_link_rate": 0.95, "accuracy": 0.95,
          "doorplates_collection_rate": 1.0, "houses_collection_rate": 1.0, "units_collection_rate": 1.0,
          "houses_link_rate": 1.0, "units_link_rate": 1.0, "timeliness": 1.0}
LABELS = {"persons_collection_rate": "人口采集率", "persons_link_rate": "人口关联率", "accuracy": "准确率",
          "doorplates_collection_rate": "门牌采集率", "houses_collection_rate": "房屋采集率",
          "units_collection_rate": "单位采集率", "houses_link_rate": "房屋关联率", "units_link_rate": "单位关联率",
          "timeliness": "登记及时率"}


def targets_stream(division_code: str) -> str:
    return f"targets-{division_code}"


def validated(targets: dict[str, float]) -> dict[str, float]:
    """Known rates only, each in (0, 1]; a rate not given keeps the notice's."""
    if not targets:
        raise DomainRuleViolation("targets", "targets.empty", "give at least one target", "至少设置一项考核目标")
    for name, value in targets.items():
        if name not in NOTICE:
            raise DomainRuleViolation("targets", "targets.unknown_rate", f"{name} is not a rate; one of {sorted(NOTICE)}",
                                      f"{name} 不是考核指标，须为 {sorted(NOTICE)} 之一")
        if not 0 < value <= 1:
            raise DomainRuleViolation("targets", "targets.out_of_range", f"{name} must be above 0 and at most 1",
                                      f"{name} 须大于0且不超过1")
    return {**NOTICE, **targets}


class Targets(Aggregate):
    """One division's targets; its version is the configuration's version."""

    stream_type = "AssessmentTargets"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.targets: dict[str, float] = dict(NOTICE)

    @applies(AssessmentTargetsSet)
    def _set(self, event: AssessmentTargetsSet) -> None:
        self.targets = dict(event.targets)
        self.division_code = event.division_code

    def set(self, division_code: str, targets: dict[str, float], remark: str) -> None:
        self.record(AssessmentTargetsSet(division_code=division_code, targets=validated(targets), remark=remark))


def in_force(settings: Iterable[dict[str, Any]], division_code: str) -> dict[str, Any]:
    """The targets ``division_code`` is judged against: of the nearest division containing it that set any (its
    latest version), else the notice's as version 0. ``settings``: each stream's latest setting, as
    {division_code, version, targets, recorded_at, actor}."""
    containing = [s for s in settings if division_code.startswith(s["division_code"])]
    if not containing:
        return {"division_code": None, "version": 0, "targets": dict(NOTICE), "source": "notice"}
    nearest = max(containing, key=lambda s: len(s["division_code"]))
    return {**nearest, "targets": {**NOTICE, **nearest["targets"]}, "source": "configured"}
