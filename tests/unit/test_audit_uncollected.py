"""应采未采 in the quality figures (issue 18): rentals with no current tenant and open units with no employee count
per record, as the sweeps list them, and drop out once the gap is filled."""

from datetime import date

from services.audit.domain.metrics import counts, facts, finish

DAY = date(2026, 11, 10)
RENTAL = {"rental_id": "R1", "status": "active", "tenants": []}


def test_a_rental_without_a_current_tenant_is_uncollected_until_one_moves_in():
    empty = {"status": "active", "use": "rented", "rentals": [RENTAL, {**RENTAL, "rental_id": "R0", "status": "ended"}]}
    assert counts("House", facts("House", empty), True, DAY)["uncollected_rentals_without_tenants"] == 1
    gone = {**empty, "rentals": [{**RENTAL, "tenants": [{"person_id": "P-1", "moved_out": "2026-11-01"}]}]}
    assert counts("House", facts("House", gone), True, DAY)["uncollected_rentals_without_tenants"] == 1
    let = {**empty, "rentals": [{**RENTAL, "tenants": [{"person_id": "P-1", "moved_out": None}]}]}
    assert counts("House", facts("House", let), True, DAY)["uncollected_rentals_without_tenants"] == 0


def test_an_open_unit_without_a_current_employee_is_uncollected():
    unit = {"status": "open", "unit_type": "enterprise", "employees": [{"person_id": "P-1", "left": "2026-10-01"}]}
    assert counts("Unit", facts("Unit", unit), True, DAY)["uncollected_units_without_employees"] == 1
    staffed = {**unit, "employees": [{"person_id": "P-2", "left": None}]}
    assert counts("Unit", facts("Unit", staffed), True, DAY)["uncollected_units_without_employees"] == 0
    closed = {**unit, "status": "closed"}
    assert counts("Unit", facts("Unit", closed), True, DAY)["uncollected_units_without_employees"] == 0


def test_the_figures_always_show_both_counts():
    shown = finish(counts("Unit", facts("Unit", {"status": "open", "employees": []}), True, DAY))
    assert (shown["uncollected_units_without_employees"], shown["uncollected_rentals_without_tenants"]) == (1, 0)
