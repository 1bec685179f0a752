"""Wiring of the person service (实有人口)."""

from services.kernel.web.app import ServiceSpec, create_app
from services.person.ingest import consume_ingest
from services.person.api import codes, key_persons, persons
from services.person.api import whereabouts as api_whereabouts
from services.person.whereabouts import whereabouts
from services.person.api import watch as api_watch
from services.person.api import quality as api_quality
from services.person.bootstrap import person_feeds, relay_alerts
from services.person.watch.projection import watch
from services.person.projections import addresses, registry

SPEC = ServiceSpec(
    context="person",
    description="Actual population: persons, categories, residences (人房关联), deadlines and key persons (重点人员).",
    routers=[api_whereabouts.router, api_quality.router, persons.router, key_persons.router, codes.router, api_watch.router],
    projections=[registry, addresses, whereabouts, watch],
    background=[consume_ingest, relay_alerts, person_feeds],  # agency records (services.agency.ingest); the alerts outbox relay; the person and key-person feeds (docs/FEEDS.md)
)


def build_app():
    return create_app(SPEC)
