"""查人知住: where a person lives and works, derived from the one ``whereabouts`` document of the person.

``derive`` is pure (unit-tested): the current residence (the open registered residence, else an open tenancy),
the house there with its rental and lessor, the units the person works at now, and the dated history of all of
them. The route adds the residence's *current* standard full name from the address replica (a renamed road
shows its new name; the name stored with the event is the fallback).
"""

from __future__ import annotations

from typing import Any

from contracts.person_record import open_residence
from services.kernel.messaging.read_models import ReadModels
from services.person.addresses import PersonAddresses
from services.person.whereabouts import WHEREABOUTS


def documents(reads: ReadModels):
    return reads.read_model(WHEREABOUTS, "whereabouts")


MAX_REDIRECTS = 8
#: ``after=`` streams this view can place: the person's own, and the houses and units it folds
LOCATED = {"person": ("whereabouts", "person.division_code"), "house": ("wa_houses", "division_code"),
           "unit": ("wa_units", "division_code")}


def locator(reads: ReadModels):
    """Where an ``after=`` token's record lies, as this view knows it: (known, division_code); the kernel refuses
    a token outside the caller's jurisdiction (services.kernel.web.reads.caught_up_after)."""

    async def locate(stream_id: str) -> tuple[bool, str | None]:
        kind, _, identifier = stream_id.partition("-")
        if kind not in LOCATED:
            return False, None
        collection, field = LOCATED[kind]
        document = await reads.read_model(WHEREABOUTS, collection).find_one({"_id": identifier}, {field: 1})
        value = document
        for part in field.split("."):
            value = (value or {}).get(part)
        return value is not None, value

    return locate


async def whereabouts_document(reads: ReadModels, person_id: str | None = None,
                               document_number: str | None = None) -> dict | None:
    """One lookup: by id, or by document number (indexed); a merged duplicate answers with its survivor."""
    query = ({"_id": person_id} if person_id
             else {"person.document_number": document_number, "person.status": {"$ne": "merged"}})
    document = await documents(reads).find_one(query)
    hops = 0
    while document and (document.get("person") or {}).get("redirect_to") and hops < MAX_REDIRECTS:
        survivor = await documents(reads).find_one({"_id": document["person"]["redirect_to"]})
        if survivor is None:
            break
        document, hops = survivor, hops + 1
    return document if document and document.get("person") else None


def _open(entry: dict, end_field: str) -> bool:
    return entry.get(end_field) is None


def _tenancy(house: dict) -> dict | None:
    """The person's open tenancy in this house under an active rental, if any."""
    for tenancy in reversed(house.get("tenancies", [])):
        if _open(tenancy, "moved_out") and tenancy.get("status") == "active":
            return tenancy
    return None


def _rental_view(tenancy: dict | None) -> dict | None:
    if tenancy is None:
        return None
    return {key: tenancy.get(key) for key in ("rental_id", "status", "start", "end", "security_person")}


def derive(document: dict) -> dict[str, Any]:
    """The 查人知住 answer from the person's document (sections written by each source stream)."""
    person = document.get("person") or {}
    houses = list((document.get("houses") or {}).values())
    units = list((document.get("units") or {}).values())
    residences = person.get("residences", [])
    current = open_residence(person)
    residence = None
    if current is not None:
        at = [house for house in houses if house.get("address_code") == current.get("address_code")]
        house = next((h for h in at if _tenancy(h)), at[0] if at else None)
        tenancy = _tenancy(house) if house else None
        residence = {"address_code": current["address_code"], "full_name": current.get("address_name"),
                     "house_id": house["house_id"] if house else None, "since": current.get("moved_in"),
                     "residence_type": current.get("residence_type"), "source": "residence",
                     "rental": _rental_view(tenancy), "lessor": tenancy.get("lessor") if tenancy else None,
                     "division_code": (house or {}).get("division_code") or current.get("division_code")}
    else:
        renting = [(house, _tenancy(house)) for house in houses if _tenancy(house)]
        if renting:
            house, tenancy = max(renting, key=lambda pair: pair[1].get("moved_in") or "")
            residence = {"address_code": house.get("address_code"), "full_name": house.get("address_name"),
                         "house_id": house["house_id"], "since": tenancy.get("moved_in"), "residence_type": "rental",
                         "source": "tenancy", "rental": _rental_view(tenancy), "lessor": tenancy.get("lessor"),
                         "division_code": house.get("division_code")}
    employers = []
    for unit in units:
        for employment in unit.get("employment", []):
            if _open(employment, "left"):
                employers.append({"unit_id": unit["unit_id"], "name": unit.get("name"),
                                  "address_code": unit.get("address_code"), "division_code": unit.get("division_code"),
                                  "special_trades": unit.get("special_trades", []), "status": unit.get("status"),
                                  "position": employment.get("position"), "since": employment.get("hired")})
    return {"person_id": document["_id"], "name": person.get("name"), "document_number": person.get("document_number"),
            "status": person.get("status"), "category": person.get("category"),
            "division_code": person.get("division_code"), "residence": residence,
            "employers": sorted(employers, key=lambda e: (e["since"] or "", e["unit_id"])),
            "history": history(residences, houses, units)}


def history(residences: list[dict], houses: list[dict], units: list[dict]) -> list[dict]:
    """Every residence, tenancy, let, ownership and employment with its dates, oldest first."""
    items: list[dict] = []
    for entry in residences:
        items.append({"kind": "residence", "address_code": entry.get("address_code"),
                      "address_name": entry.get("address_name"), "from": entry.get("moved_in"),
                      "to": entry.get("moved_out"), "residence_type": entry.get("residence_type")})
    for house in houses:
        for tenancy in house.get("tenancies", []):
            items.append({"kind": "tenancy", "house_id": house["house_id"], "address_code": house.get("address_code"),
                          "rental_id": tenancy.get("rental_id"), "from": tenancy.get("moved_in"),
                          "to": tenancy.get("moved_out"), "lessor": tenancy.get("lessor"),
                          "division_code": house.get("division_code")})  # the lessor is masked by the house's
        for let in house.get("lets", []):
            items.append({"kind": "lessor", "house_id": house["house_id"], "address_code": house.get("address_code"),
                          "rental_id": let.get("rental_id"), "from": let.get("start"), "to": let.get("ended_on")})
        if house.get("owner"):
            items.append({"kind": "owner", "house_id": house["house_id"], "address_code": house.get("address_code"),
                          "from": None, "to": None})
    for unit in units:
        for employment in unit.get("employment", []):
            items.append({"kind": "employment", "unit_id": unit["unit_id"], "unit_name": unit.get("name"),
                          "position": employment.get("position"), "from": employment.get("hired"),
                          "to": employment.get("left")})
    return sorted(items, key=lambda item: (item["from"] or "", item["kind"], str(item.get("house_id") or
                                                                                 item.get("unit_id") or "")))


async def with_current_names(reads: ReadModels, answer: dict) -> dict:
    """The residence's standard full name as the address registry says it now (a rename shows)."""
    residence = answer.get("residence")
    if residence and residence.get("address_code"):
        address = await PersonAddresses(reads).lookup(residence["address_code"])
        if address is not None:
            residence["full_name"] = address.full_name or residence["full_name"]
            residence["address_status"] = address.status
            residence["address_division_code"] = address.division_code
            residence["location"] = address.location  # the map point (WGS-84 GeoJSON), null when not surveyed
    return answer
