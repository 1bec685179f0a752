"""The read bench's seeder (bench/city_seed.py): a generated town goes through the loader into the registries' own
application services in process, every record accepted, each registry appending its records' events; a refusal
is answered as the HTTP route would answer it (status, rule), so the loader's retry rules hold."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from bench.city_seed import InProcessTransport
from services.city.generate import generate
from services.city.load import load


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    out = tmp_path_factory.mktemp("seedtown")
    generate(out, persons=300, seed=11, as_of=date(2026, 11, 20))
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


async def test_every_record_of_the_town_is_accepted_and_appended_as_its_registry_events(town):
    directory, manifest = town
    published: Counter = Counter()
    transport = InProcessTransport(lambda context, envelope: published.update([(context, envelope.event_type)]))

    report = await load(directory, transport, show_progress=False)

    assert report.rejected == 0, report.rejections[:3]
    kinds = manifest["records"]
    assert published[("person", "PersonRegistered")] == kinds["person"]
    assert published[("person", "ResidenceRegistered")] == kinds["residence"]
    assert published[("house", "HouseRegistered")] == kinds["house"]
    assert published[("unit", "UnitRegistered")] == kinds["unit"]
    assert published[("address", "DoorplateRegistered")] == kinds["doorplate"]
    assert published[("person", "PersonCancelled")] == kinds["cancel_person"]


async def test_a_refusal_is_answered_as_the_route_answers_it():
    transport = InProcessTransport(lambda context, envelope: None)

    house = {"address_code": "532503001500000000000001", "use": "rented", "property_nature": "commercial",
             "area": 143.0, "rooms": 2, "owner": {"name": "杞云明"}}

    unknown = await transport.send("house", "/v1/houses", house, "police")
    shapeless = await transport.send("house", "/v1/houses", {**house, "area": "large"}, "police")

    assert (unknown.status, unknown.rules) == (422, ["address.unknown"])
    assert unknown.transient  # "not visible yet": the loader sends it again, as over HTTP
    assert shapeless.status == 422 and shapeless.body["detail"][0]["loc"] == ["area"]
