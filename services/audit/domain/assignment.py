"""Cross-inspection (交叉检查): each sampled record goes to an inspector from another jurisdiction.

An inspector's organisation code is a division code (532503 = 蒙自市); they may not inspect a record whose
division lies inside theirs, nor one whose division contains theirs. Among the eligible, the least loaded
takes the record (ties by id), so the work is spread evenly and the assignment is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.base.errors import DomainRuleViolation


@dataclass(frozen=True)
class InspectorRef:
    id: str
    organisation_code: str


def overlaps(organisation_code: str, division_code: str) -> bool:
    """Same jurisdiction: one code lies inside the other on the division hierarchy."""
    return division_code.startswith(organisation_code) or organisation_code.startswith(division_code)


def assign(divisions: list[str], inspectors: list[InspectorRef]) -> list[InspectorRef]:
    """The inspector of each record (by the record's division), in the records' order."""
    load = {inspector.id: 0 for inspector in inspectors}
    chosen = []
    for division in divisions:
        eligible = [i for i in inspectors if not overlaps(i.organisation_code, division)]
        if not eligible:
            raise DomainRuleViolation(
                "inspectors", "inspectors.same_jurisdiction",
                f"no inspector from outside division {division}: cross-inspection needs one from another jurisdiction",
                f"没有辖区 {division} 以外的检查人员，交叉检查须由其他辖区人员进行")
        inspector = min(eligible, key=lambda i: (load[i.id], i.id))
        load[inspector.id] += 1
        chosen.append(inspector)
    return chosen
