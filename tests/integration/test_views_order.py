"""Order tolerance of the cross-context views on the real MongoDB: the family story's events, interleaved in
several random orders and applied by concurrent per-partition workers through each projection's handlers, leave
the same read model, and the views derived from it say what happened."""

from __future__ import annotations

import random

import pytest

from services.house.occupants import occupants
from services.house.views.occupants import occupants_of
from services.replicas.person import is_key_person
from services.person.views.whereabouts import derive
from services.person.whereabouts import whereabouts
from services.unit.persons import persons as unit_persons
from services.unit.views.employees import employees_of
from tests.integration.views_story import (
    apply_interleaved, collections, drop_generation, family_in_a_rented_flat, interleavings,
)

pytestmark = pytest.mark.integration
ORDERS = 4


async def converged(settings, context: str, projection, story) -> dict:
    """Apply the story in ORDERS interleavings (plus the recorded order); all must agree. Returns the result."""
    results = []
    base = random.randint(10_000, 10_000_000)
    recorded = sorted((e for events in story.streams.values() for e in events), key=lambda e: e.occurred_at)
    for index, order in enumerate([recorded, *interleavings(story, ORDERS, seed=base)]):
        generation = base + index
        await apply_interleaved(settings, context, projection, order, generation)
        results.append(await collections(settings, context, projection, generation))
        await drop_generation(settings, context, projection, generation)
    for index, result in enumerate(results[1:], start=1):
        assert result == results[0], f"interleaving {index} differs from the recorded order"
    return results[0]


async def test_whereabouts_converge_and_say_where_the_family_lives_and_works(settings):
    story = family_in_a_rented_flat()
    ids = story.ids
    result = await converged(settings, "person", whereabouts, story)
    documents = result["whereabouts"]

    father = derive(documents[ids["father"]])
    # the rental has ended (tenancy closed) but the registered residence is still open: he lives there
    assert father["residence"]["address_code"] == story.address and father["residence"]["since"] == "2026-01-03"
    assert father["residence"]["house_id"] == ids["house"] and father["residence"]["rental"] is None
    assert father["employers"] == []  # left the hotel on 2026-07-01
    kinds = [(item["kind"], item["from"], item["to"]) for item in father["history"]]
    assert ("tenancy", "2026-01-03", "2026-09-30") in kinds and ("employment", "2026-01-05", "2026-07-01") in kinds

    mother = derive(documents[ids["mother"]])
    assert [(e["unit_id"], e["position"], e["special_trades"]) for e in mother["employers"]] == \
        [(ids["unit"], "保洁", ["hotel"])]

    child = derive(documents[ids["child"]])
    assert child["residence"] is None
    assert ("residence", "2026-01-03", "2026-06-01") in [(i["kind"], i["from"], i["to"]) for i in child["history"]]

    lessor = derive(documents[ids["lessor"]])
    assert ("lessor", "2026-01-02", "2026-09-30") in [(i["kind"], i["from"], i["to"]) for i in lessor["history"]]
    assert any(item["kind"] == "owner" for item in lessor["history"])


async def test_the_residence_shows_its_rental_and_lessor_while_the_rental_runs(settings):
    story = family_in_a_rented_flat()
    # cut the story before the rental ends
    stream = f"house-{story.ids['house']}"
    story.streams[stream] = [e for e in story.streams[stream] if e.event_type != "RentalEnded"]
    result = await converged(settings, "person", whereabouts, story)
    mother = derive(result["whereabouts"][story.ids["mother"]])
    assert mother["residence"]["rental"]["rental_id"] == "R1"
    assert mother["residence"]["lessor"]["person_id"] == story.ids["lessor"]


async def test_occupants_and_employees_replicas_converge(settings):
    story = family_in_a_rented_flat()
    ids = story.ids
    result = await converged(settings, "house", occupants, story)
    persons = result["persons"]
    assert persons[ids["father"]]["address_code"] == story.address and is_key_person(persons[ids["father"]])
    assert persons[ids["child"]]["address_code"] is None
    residents = [doc for doc in persons.values() if doc.get("address_code") == story.address]
    house = {"_id": ids["house"], "address_code": story.address, "division_code": "532503001",
             "rentals": [{"rental_id": "R1", "status": "active", "security_person": {"person_id": ids["lessor"]},
                          "tenants": [{"person_id": ids["mother"], "moved_in": "2026-01-03", "moved_out": None}]}]}
    answer = occupants_of(house, residents, persons)
    assert [r["person_id"] for r in answer["residents"]] == sorted([ids["father"], ids["mother"]])
    assert answer["residents_by_category"] == {"migrant": 2} and answer["key_person_present"] is True
    assert [t["person_id"] for t in answer["tenants"]] == [ids["mother"]]

    result = await converged(settings, "unit", unit_persons, story)
    unit = {"employees": [{"person_id": ids["father"], "position": "前台", "hired": "2026-01-05", "left": "2026-07-01"},
                          {"person_id": ids["mother"], "position": "保洁", "hired": "2026-07-02", "left": None}]}
    shaped = employees_of(unit, result["persons"])
    assert [e["person_id"] for e in shaped["current"]] == [ids["mother"]]
    assert shaped["current"][0]["residence"]["address_code"] == story.address
    assert shaped["past"][0]["key_person"] is True
