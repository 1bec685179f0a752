"""Wiring of the unit service (实有单位): its routes and read models."""

from services.unit.bootstrap import unit_feeds
from services.kernel.web.app import ServiceSpec, create_app
from services.unit.ingest import consume_ingest
from services.unit.api import staff as api_staff
from services.unit.api import employees as api_employees
from services.unit.api import coverage as api_coverage
from services.unit.persons import persons
from services.unit.api import supervision as api_supervision
from services.unit.api import units as api_units
from services.unit.api import key_listings as api_key_listings
from services.unit.api import sweeps as api_sweeps
from services.unit.projections import addresses, registry

SPEC = ServiceSpec(
    context="unit",
    description="Actual units at standard addresses: identity (USCC, GB/T 4754), status, special trades, "
                "employees, inspections and rectifications.",
    routers=[api_sweeps.router, api_supervision.router, api_staff.router, api_employees.router, api_coverage.router, api_key_listings.router, api_units.router],  # fixed paths before /{unit_id}
    projections=[registry, addresses, persons],
    background=[consume_ingest, unit_feeds],  # agency records (services.agency.ingest); the unit feed (docs/FEEDS.md)
)


def build_app():
    return create_app(SPEC)
