"""The audit counts 逾期未检查 by the unit registry's rule (contracts.inspections), day by day: not on the due day,
from the day after it, and that day is a change day, so the incremental figures move without a new event."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from contracts.inspections import earliest_due, inspection_cycles, overdue_for_inspection
from contracts.unit import SpecialTradeAdded, UnitInspected, UnitRegistered, UnitSuspended
from services.audit.domain.metrics import CHINA, change_days, counts, facts
from services.audit.views.quality import counted, total_of
from tests.audit_town import START, Town
from tests.unit.figures_fakes import FakeFigures

HOTEL = inspection_cycles()["hotel"]


def unit(*events) -> dict:
    state: dict = {}
    for event in (UnitRegistered(unit_id="U1", name="水田旅馆", unit_type="enterprise", industry_code="H61",
                                 address_code="A", division_code="532503203"), *events):
        state = event.evolve(state)
    return state


def overdue_on(state: dict, day: date) -> int:
    return counts("Unit", facts("Unit", state), True, day)["special_trade_inspections_overdue"]


def test_overdue_from_the_day_after_due_and_that_day_is_a_change_day():
    state = unit(SpecialTradeAdded(unit_id="U1", trade="hotel", since=date(2026, 9, 1)),
                 UnitInspected(unit_id="U1", inspection_id="I0", inspected_on=date(2026, 8, 20), inspectors=["甲"]),
                 UnitInspected(unit_id="U1", inspection_id="I1", inspected_on=date(2026, 9, 10), inspectors=["甲"]))
    due = date(2026, 9, 10) + timedelta(days=HOTEL)  # the inspection before the trade was taken up counts nothing
    assert earliest_due(state, inspection_cycles()) == due
    assert [overdue_on(state, due + timedelta(days=n)) for n in (-1, 0, 1, 2)] == [0, 0, 1, 1]
    for n in (-1, 0, 1):
        assert overdue_on(state, due + timedelta(days=n)) == overdue_for_inspection(state, inspection_cycles(),
                                                                                    due + timedelta(days=n))
    assert due + timedelta(days=1) in change_days("Unit", facts("Unit", state))


def test_a_suspended_unit_or_one_without_a_trade_is_never_overdue():
    since = SpecialTradeAdded(unit_id="U1", trade="hotel", since=date(2026, 1, 1))
    suspended = unit(since, UnitSuspended(unit_id="U1", on=date(2026, 2, 1)))
    far = date(2027, 12, 31)
    assert overdue_on(suspended, far) == 0 and overdue_on(unit(), far) == 0
    assert not {d for d in change_days("Unit", facts("Unit", suspended)) if d > date(2026, 2, 1)}
    assert overdue_on(unit(since), far) == 1


async def test_the_incremental_figures_count_it_from_the_day_after_due_with_no_new_event():
    town, figures, township = Town(), FakeFigures(), "532503105"
    town.add("Unit", "unit-U1", "UnitRegistered", {"unit_id": "U1", "name": "水田旅馆", "unit_type": "enterprise",
             "industry_code": "H61", "address_code": "A", "division_code": township}, START, township)
    town.add("Unit", "unit-U1", "SpecialTradeAdded", {"unit_id": "U1", "trade": "hotel", "since": "2026-09-01"},
             START, township)
    for envelope in town.events:
        await figures.feed(envelope)
    due = date(2026, 9, 1) + timedelta(days=HOTEL)

    async def overdue(day: date) -> int:
        children = await counted(figures.counters, figures.pending, township,
                                 datetime.combine(day, time(23, 59), CHINA))
        return total_of(children)["special_trade_inspections_overdue"]

    assert START.date() <= due and [await overdue(due), await overdue(due + timedelta(days=1))] == [0, 1]
