"""Which registry holds each entity kind's records (the one table the feed publishers read): the owning context's
registry projection, its collection, the stream type of the record's events and the payload field naming it.
Rentals and tenants travel inside their house's state, employees, trades and inspections inside their unit's,
buildings inside their door plate's (docs/FEEDS.md)."""

from __future__ import annotations

from contracts.feeds import OWNERS, EntityKind
from services.feeds.publisher import feed_publisher
from services.feeds.states import FeedSource

SOURCES: tuple[FeedSource, ...] = (
    FeedSource(EntityKind.PERSON, "Person", "person-registry", "persons", "person_id"),
    FeedSource(EntityKind.KEY_PERSON, "KeyPerson", "person-registry", "key_persons", "key_person_id"),
    FeedSource(EntityKind.HOUSE, "House", "house-registry", "houses", "house_id"),
    FeedSource(EntityKind.UNIT, "Unit", "unit-registry", "units", "unit_id"),
    FeedSource(EntityKind.DOORPLATE, "Doorplate", "address-registry", "doorplates", "code"),
    FeedSource(EntityKind.PLACE, "Place", "address-registry", "places", "code"),
)


def sources_of(context: str) -> list[FeedSource]:
    return [source for source in SOURCES if OWNERS[source.entity] == context]


def feeds(context: str):
    """The task publishing ``context``'s feeds over its ports (the context's bootstrap runs it in the background)."""
    return feed_publisher(context, sources_of(context))
