"""Wiring of the house service (实有房屋): its routes and read models."""

from services.house.api import houses as api_houses
from services.house.api import key_houses as api_key_houses
from services.house.api import rentals as api_rentals
from services.house.api import occupants as api_occupants
from services.house.api import quality as api_quality
from services.house.api import sweeps as api_sweeps
from services.house.occupants import occupants
from services.house.parties import units
from services.house.projections import addresses, registry
from services.house.bootstrap import house_feeds
from services.kernel.web.app import ServiceSpec, create_app
from services.house.ingest import consume_ingest

SPEC = ServiceSpec(
    context="house",
    description="Actual houses at standard addresses: rentals, tenants, daily checks, group rentals.",
    routers=[api_sweeps.router, api_occupants.router, api_quality.router, api_rentals.router, api_key_houses.router,
             api_houses.router],  # the lists' fixed paths before /{house_id}
    projections=[registry, addresses, occupants, units],
    background=[consume_ingest, house_feeds],  # agency records (services.agency.ingest); the house feed (docs/FEEDS.md)
)


def build_app():
    return create_app(SPEC)
