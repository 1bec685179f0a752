"""The ground truth of a generated city: what every supervisor figure must be, per division.

Counted while the city is generated, from the same decisions that write its records, at township level and
summed up to the county (532503) and the prefecture (5325). The figures use the audit's names
(services/audit/domain/metrics.py) and the registries' rules (an inspection is overdue when the last one, or the
trade's start, lies more than the trade's cycle before ``as_of``; a rental is unchecked when its house had no
check this month), so a figure that differs from the truth is a bug on one side, named by its key.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

COUNTY = "532503"
PREFECTURE = "5325"

#: Every flat figure the truth holds (each division has each, zero when nothing counts).
FIGURES = (
    "persons_total", "persons_linked", "persons_unlinked", "persons_phone_collected", "persons_logic_errors",
    "persons_duplicates_open", "persons_cancelled", "houses_total", "houses_rented", "houses_linked",
    "rentals_not_checked_this_month", "units_total", "units_special_trade", "units_linked",
    "special_trade_inspections_overdue", "doorplates_total", "doorplates_retired", "doorplates_duplicates_open",
    "places_total", "rooms_total", "key_persons_listed", "employees_current", "tenants_current",
)


class Truth:
    """Counters per township; ``divisions()`` adds the county and prefecture totals."""

    def __init__(self) -> None:
        self.flat: dict[str, Counter] = defaultdict(Counter)
        self.categories: dict[str, Counter] = defaultdict(Counter)

    def add(self, division: str, figure: str, count: int = 1) -> None:
        if figure not in FIGURES:
            raise KeyError(f"unknown figure {figure!r}")
        self.flat[division][figure] += count

    def person(self, division: str, category: str) -> None:
        self.add(division, "persons_total")
        self.categories[division][category] += 1

    def divisions(self) -> dict[str, dict[str, Any]]:
        townships = sorted(self.flat)
        total_flat, total_categories = Counter(), Counter()
        result: dict[str, dict[str, Any]] = {}
        for code in townships:
            total_flat.update(self.flat[code])
            total_categories.update(self.categories[code])
            result[code] = self._figures(self.flat[code], self.categories[code])
        whole = self._figures(total_flat, total_categories)
        return {PREFECTURE: whole, COUNTY: dict(whole), **result}

    @staticmethod
    def _figures(flat: Counter, categories: Counter) -> dict[str, Any]:
        figures: dict[str, Any] = {name: int(flat.get(name, 0)) for name in FIGURES}
        figures["persons_unlinked"] = figures["persons_total"] - figures["persons_linked"]
        figures["persons_by_category"] = dict(sorted((k, int(v)) for k, v in categories.items() if v))
        return figures
