"""A load's stream of person events (历史数据导入), built with the contracts' own event classes: what the read
models of an initial load apply (bench/projections_apply.py measures them; tests check each applies it per batch
as it does one event at a time).

Persons (most 常住 with a household, every fifth 流动 renting), about half with a move-in (入住), a house let per
20 persons with two of them moving in as tenants, a key person listed per 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent
from contracts.house import HouseRegistered, RentalStarted, TenantMovedIn
from contracts.person import (
    KeyPersonListed, KeyPersonListingApplied, MigrantDetails, PersonRegistered, RegisteredDetails,
    ResidenceRegistered,
)

#: stream type → its context's topic
CONTEXT_OF = {"Person": "person", "KeyPerson": "person", "House": "house", "Unit": "unit"}
TOWNSHIPS = ("532503001", "532503002", "532503100")
START = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


class Stream:
    """Envelopes with consecutive versions per stream, recorded in order."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.versions: dict[str, int] = {}
        self.events: list[EventEnvelope] = []

    def add(self, stream_type: str, stream_id: str, event: DomainEvent, division: str) -> None:
        version = self.versions[stream_id] = self.versions.get(stream_id, 0) + 1
        at = START + timedelta(milliseconds=len(self.events))
        self.events.append(EventEnvelope(
            event_type=event.event_type(), stream_id=stream_id, stream_type=stream_type, version=version,
            occurred_at=at, recorded_at=at, correlation_id=f"load-{self.run}", division_code=division,
            actor=Actor(id="mz-civil-affairs", role="agency", organisation_code="532503"),
            payload=event.model_dump(mode="json")))


def plate(township: str, n: int) -> str:
    return f"{township}50{n:013d}"


def registration(n: int, run: str, township: str) -> PersonRegistered:
    migrant = n % 5 == 4  # 流动人口 renting, the rest 常住 with a household
    born = date(1950, 1, 1) + timedelta(days=(n * 37) % 20000)
    details = (MigrantDetails(category="migrant", residence_reason="work", arrival_date=date(2026, 10, 1),
                              origin="四川省广安市", residence_type="rental", renting=True,
                              registration_valid_until=date(2027, 4, 1))
               if migrant else RegisteredDetails(category="registered", household_number=f"53250300{n:07d}",
                                                 relation_to_head="户主", lives_at_registered_address=True))
    return PersonRegistered(
        person_id=f"P-{run}-{n}", document_type="id_card", document_number=f"532503{born:%Y%m%d}{n % 1000:03d}X",
        name=f"李{n % 1000}", sex="male" if n % 2 else "female", birth_date=born, ethnicity="01",
        phone="+8613800138000", household_registration={"division_code": township, "detail": "天马路18号"},
        category="migrant" if migrant else "registered", details=details, legacy_import=True,
        division_code=township)


def load_stream(persons: int, run: str) -> list[EventEnvelope]:
    """A load's events: persons, their move-ins (about half), a house let per 20 persons with two of them moving
    in as tenants, a key person listed per 100."""
    return load(persons, run).events


def load(persons: int, run: str) -> Stream:
    """The stream of ``load_stream``, to which later events can be added."""
    stream = Stream(run)
    for n in range(persons):
        township = TOWNSHIPS[n % len(TOWNSHIPS)]
        person = f"person-P-{run}-{n}"
        stream.add("Person", person, registration(n, run, township), township)
        if n % 2 == 0:
            stream.add("Person", person, ResidenceRegistered(
                person_id=f"P-{run}-{n}", address_code=plate(township, n // 4), moved_in=date(2026, 10, 1),
                reason="居住", residence_type="own", division_code=township), township)
        if n % 20 == 19:
            house, township_of_house = f"H-{run}-{n}", TOWNSHIPS[n % len(TOWNSHIPS)]
            stream.add("House", f"house-{house}", HouseRegistered(
                house_id=house, address_code=plate(township_of_house, n), address_kind="doorplate",
                division_code=township_of_house, property_nature="private", use="rented",
                owner={"person_id": f"P-{run}-{n - 1}"}), township_of_house)
            stream.add("House", f"house-{house}", RentalStarted(
                house_id=house, rental_id="R1", lessor={"person_id": f"P-{run}-{n - 1}"}, lessor_role="owner",
                rooms_let=2, start=date(2026, 10, 1), security_person={"person_id": f"P-{run}-{n - 1}"}),
                township_of_house)
            for tenant in (n - 2, n - 3):
                stream.add("House", f"house-{house}", TenantMovedIn(
                    house_id=house, rental_id="R1", person_id=f"P-{run}-{tenant}", moved_in=date(2026, 10, 2)),
                    township_of_house)
        if n % 100 == 50:
            key = f"K-{run}-{n}"
            stream.add("KeyPerson", f"keyperson-{key}", KeyPersonListingApplied(
                key_person_id=key, person_id=f"P-{run}-{n}", category_code="01", problem="涉稳",
                responsible_unit="文澜派出所", responsible_officer="PC-0001", control_level="normal",
                division_code=township), township)
            stream.add("KeyPerson", f"keyperson-{key}", KeyPersonListed(key_person_id=key), township)
    return stream


@dataclass
class Record:
    """What the runner reads of an aiokafka ConsumerRecord."""

    value: bytes
    key: bytes
    headers: list
    topic: str
    partition: int
    offset: int


def records(events: list[EventEnvelope], sources: list[str]) -> list[Record]:
    """The events of the topics ``sources`` as one partition's consumer records, in order."""
    mine = [envelope for envelope in events if CONTEXT_OF[envelope.stream_type] in sources]
    return [Record(envelope.to_bytes(), envelope.stream_id.encode(), [], CONTEXT_OF[envelope.stream_type], 0, offset)
            for offset, envelope in enumerate(mine)]
