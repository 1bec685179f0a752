"""What each kind of record in a generated city is, at the registries' front doors: which service, which route,
which role sends it, which field of the answer names what it created, and which refusal means "already done".

Shared by the generator (which writes kinds) and the loader (which sends them): one table, one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    service: str  #: address | person | house | unit
    path: str  #: route; ``{target}`` / ``{rental}`` are the codes or ids of the records named in the record
    result: str  #: the answer's field that names the created or changed record
    role: str = "police"
    #: 409 rules meaning "this record is already there": the holder is the last word of the answer's detail
    already: tuple[str, ...] = ()
    #: 409 rules meaning "already done" with nothing to name (a repeated step of a record already applied)
    done: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "place": Kind("address", "/v1/places", "code", already=("place.duplicate",)),
    "doorplate": Kind("address", "/v1/doorplates", "code", already=("doorplate.duplicate",)),
    "building": Kind("address", "/v1/doorplates/{target}/buildings", "code", done=("building.exists",)),
    "person": Kind("person", "/v1/persons", "person_id", already=("person.duplicate",)),
    "residence": Kind("person", "/v1/persons/{target}/residence", "person_id"),
    "house": Kind("house", "/v1/houses", "house_id", already=("house.duplicate",)),
    "rental": Kind("house", "/v1/houses/{target}/rentals", "rental_id"),
    "tenant": Kind("house", "/v1/houses/{target}/rentals/{rental}/tenants", "house_id", done=("tenant.already_in",)),
    "check": Kind("house", "/v1/houses/{target}/checks", "check_id"),
    "unit": Kind("unit", "/v1/units", "unit_id", already=("unit.duplicate",)),
    "trade": Kind("unit", "/v1/units/{target}/special-trades", "unit_id"),
    "employee": Kind("unit", "/v1/units/{target}/employees", "unit_id", done=("employee.already_employed",)),
    "inspection": Kind("unit", "/v1/units/{target}/inspections", "inspection_id"),
    "key_person": Kind("person", "/v1/key-persons", "key_person_id"),
    "approve_key_person": Kind("person", "/v1/key-persons/{target}/approve", "key_person_id", role="supervisor",
                               done=("key_person.illegal_transition",)),
    "retire_doorplate": Kind("address", "/v1/doorplates/{target}/retire", "code", done=("doorplate.retired",)),
    "cancel_person": Kind("person", "/v1/persons/{target}/cancel", "person_id", done=("person.cancelled",)),
}

#: The order of the phases: a record refers only to records of earlier phases, so records of one phase can be
#: sent concurrently and in any order.
PHASES = ("communities", "roads", "doorplates", "buildings", "persons", "homes", "rentals", "links", "follow_ups",
          "closing")
