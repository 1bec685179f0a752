"""Wiring of the address service (标准地址)."""

from services.address.api import addresses as api_addresses
from services.address.api import divisions as api_divisions
from services.address.api import doorplates as api_doorplates
from services.address.api import places as api_places
from services.address.api import quality as api_quality
from services.address.api import text as api_text
from services.address.ingest import consume_ingest
from services.address.projections import registry
from services.address.bootstrap import address_feeds
from services.kernel.web.app import ServiceSpec, create_app

SPEC = ServiceSpec(
    context="address",
    title="ybss address service 标准地址",
    port=8001,
    description="Standard addresses: divisions, places, door plates, buildings, map and free-text matching.",
    routers=[api_divisions.router, api_places.router, api_doorplates.router, api_text.router, api_addresses.router, api_quality.router],
    projections=[registry],
    # the door-plate and place feeds (docs/FEEDS.md); agency records: places, door plates, buildings (docs/INGEST.md)
    background=[address_feeds, consume_ingest],
)


def build_app():
    return create_app(SPEC)
