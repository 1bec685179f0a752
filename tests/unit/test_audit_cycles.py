"""The audit's figures count 超期未检查 with the inspection cycles the deployment configures, passed in by the
projection and the re-fold (services.audit.config); the domain's facts only take them as an argument."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from contracts.inspections import inspection_cycles
from contracts.unit import SpecialTradeAdded, UnitRegistered
from services.audit.config import audit_settings
from services.audit.domain.metrics import CHINA, facts
from services.audit.views.quality import counted, total_of
from tests.audit_town import START, Town
from tests.unit.figures_fakes import FakeFigures

SINCE = START.date()  #: the hotel trade taken up the day the unit is registered
SHORT = 10  #: a deployment's hotel cycle, shorter than the shipped one


@pytest.fixture
def short_hotel_cycle(monkeypatch):
    monkeypatch.setenv("YBSS_UNIT_INSPECTION_CYCLE_DAYS", f'{{"hotel": {SHORT}}}')
    audit_settings.cache_clear()
    yield
    audit_settings.cache_clear()


def hotel() -> dict:
    state: dict = {}
    for event in (UnitRegistered(unit_id="U1", name="水田旅馆", unit_type="enterprise", industry_code="H61",
                                 address_code="A", division_code="532503203"),
                  SpecialTradeAdded(unit_id="U1", trade="hotel", since=SINCE)):
        state = event.evolve(state)
    return state


def test_a_units_due_date_follows_the_cycles_passed_in():
    assert inspection_cycles()["hotel"] > SHORT
    assert facts("Unit", hotel(), {"hotel": SHORT})["inspection_due"] == str(SINCE + timedelta(days=SHORT))
    shipped = SINCE + timedelta(days=inspection_cycles()["hotel"])
    assert facts("Unit", hotel())["inspection_due"] == facts("Unit", hotel(), inspection_cycles())["inspection_due"] \
        == str(shipped)


async def test_the_incremental_figures_count_with_the_configured_cycles(short_hotel_cycle):
    town, figures, township = Town(), FakeFigures(), "532503105"
    town.add("Unit", "unit-U1", "UnitRegistered", {"unit_id": "U1", "name": "水田旅馆", "unit_type": "enterprise",
             "industry_code": "H61", "address_code": "A", "division_code": township}, START, township)
    town.add("Unit", "unit-U1", "SpecialTradeAdded", {"unit_id": "U1", "trade": "hotel", "since": str(SINCE)},
             START, township)
    for envelope in town.events:
        await figures.feed(envelope)

    async def overdue(day: date) -> int:
        children = await counted(figures.counters, figures.pending, township,
                                 datetime.combine(day, time(23, 59), CHINA))
        return total_of(children)["special_trade_inspections_overdue"]

    due = SINCE + timedelta(days=SHORT)
    assert [await overdue(due), await overdue(due + timedelta(days=1))] == [0, 1]
