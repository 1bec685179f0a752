"""Masking is a policy applied to every output path (issue 16): after records with known personal values are
collected, every GET route of every context (from the registry and each app's OpenAPI) is called as a
collector, an agency, and a police officer and a supervisor of the neighbouring county, and no answer may carry
a whole ID number, phone, visa or permit number, or name the role may not see (the raw JSON is searched for the
full values), nor say who is a key person to a role that may not know it. An admin walk over the same routes
must find every value at least once, so the walk reaches the data it checks.

Before the policy, this failed on ``corrections[].old_values``, ``residences[].owner_name/lessor_name``, visa
and residence-permit numbers, the houses' owner, lessor and security person, the units' legal representative,
the 查人知住 lessor, and the ``key_person`` flags of the occupants and employees views.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
from dataclasses import dataclass, field

import pytest

from contracts.personal import KEY_PERSON_FIELDS
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_authorization import OUTSIDE_ORG, apps, headers  # noqa: F401 - apps is the fixture
from tests.integration.test_person_api import fresh_id, person_body

pytestmark = pytest.mark.integration

TOWNSHIP, NEIGHBOUR_TOWNSHIP = "532503001", "532502001"
POLICE, SUPERVISOR, ADMIN = headers("police"), headers("supervisor"), headers("admin", "53")
NEIGHBOUR_POLICE = headers("police", OUTSIDE_ORG, "police-kaiyuan")
#: the roles that must not see what the walk looks for (collector: names inside the jurisdiction only)
ROLES = {"collector": headers("collector", "532503", "collector-1"), "agency": headers("agency", "532503", "civil"),
         "neighbour police": NEIGHBOUR_POLICE,
         "neighbour supervisor": headers("supervisor", OUTSIDE_ORG, "supervisor-kaiyuan")}
NOT_WALKED = ("text/event-stream",)  # an endless stream: its alerts go through the same mask_tree (unit tests)


def phone() -> str:
    return "139" + "".join(random.choices(string.digits, k=8))


def digits(count: int) -> str:
    return "".join(random.choices(string.digits, k=count))


def latin_name() -> str:
    return " ".join("".join(random.choices(string.ascii_uppercase, k=7)) for _ in range(2))


def party() -> dict:
    return {"name": unique_name(""), "document_type": "id_card", "document_number": fresh_id(), "phone": phone()}


@dataclass
class Seeded:
    """The records and their personal values; ``secret`` = values of 蒙自 records, ``neighbour`` = 开远's."""

    ids: dict[str, str] = field(default_factory=dict)
    numbers: set[str] = field(default_factory=set)  # ID, visa and permit numbers, phones (national form)
    names: set[str] = field(default_factory=set)
    neighbour_numbers: set[str] = field(default_factory=set)
    neighbour_names: set[str] = field(default_factory=set)
    params: dict[str, list[str]] = field(default_factory=dict)


async def ok(client, method: str, path: str, as_: dict = POLICE, **body) -> dict:
    response = await client.request(method, path, json=body, headers=as_)
    assert response.status_code in (200, 201, 202), f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


async def eventually(probe, deadline_seconds: float = 90.0):
    deadline = asyncio.get_running_loop().time() + deadline_seconds
    while True:
        result = await probe()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


def remember(seeded: Seeded, record: dict, neighbour: bool = False) -> None:
    numbers = seeded.neighbour_numbers if neighbour else seeded.numbers
    names = seeded.neighbour_names if neighbour else seeded.names
    for key in ("document_number", "visa_number", "residence_permit_number"):
        if record.get(key):
            numbers.add(record[key])
    if record.get("phone"):
        numbers.add(record["phone"][-11:])
    for key in ("name", "foreign_name", "emergency_contact", "owner_name", "lessor_name"):
        if record.get(key):
            names.add(record[key])


@pytest.fixture(scope="module")
async def seeded(apps):  # noqa: F811 - the fixture imported above
    """A key person renting a flat and working at a hotel, a foreigner, a house with an owner, a lessor and a
    security person, a unit with its legal representative, and an employee and tenant registered in 开远."""
    address, person, house, unit = apps["address"], apps["person"], apps["house"], apps["unit"]
    data = Seeded()
    plate = await register_doorplate(address, POLICE, unique_name(), str(random.randint(1, 900)))
    neighbour_plate = await register_doorplate(address, NEIGHBOUR_POLICE, unique_name(), "3",
                                               division_code=NEIGHBOUR_TOWNSHIP)

    a = person_body("migrant", name=unique_name(""), phone=phone(), owner_name=unique_name(""),
                    residence_permit_number="5325" + digits(10), division_code=TOWNSHIP)
    f = person_body("foreigner", name=unique_name(""), phone=phone(), foreign_name=latin_name(),
                    visa_number="V" + digits(8), emergency_contact=latin_name(), division_code=TOWNSHIP)
    b = person_body("migrant", name=unique_name(""), phone=phone(), owner_name=unique_name(""),
                    residence_permit_number="5325" + digits(10), division_code=NEIGHBOUR_TOWNSHIP)
    for body in (a, f):
        remember(data, body)
    remember(data, b, neighbour=True)
    ids = data.ids
    ids["a"] = (await ok(person, "POST", "/v1/persons", **a))["person_id"]
    ids["f"] = (await ok(person, "POST", "/v1/persons", **f))["person_id"]
    ids["b"] = (await ok(person, "POST", "/v1/persons", as_=NEIGHBOUR_POLICE, **b))["person_id"]

    key = await ok(person, "POST", "/v1/key-persons", person_id=ids["a"], category_code="04", problem="有吸毒史",
                   responsible_unit="文澜派出所", responsible_officer="PC-0001", control_level="2")
    ids["kp"] = key["key_person_id"]
    await ok(person, "POST", f"/v1/key-persons/{ids['kp']}/approve", as_=SUPERVISOR, remark="同意列管")

    async def known(client, replica: str, code: str) -> bool:
        from services.replicas.address import lookup_address

        return await lookup_address(client.fastapi.state.runtime.read_model(replica, replica), code) is not None

    for client, replica in ((house, "house-addresses"), (unit, "unit-addresses")):
        assert await eventually(lambda: known(client, replica, plate["code"])), f"{replica} never saw the plate"

    async def person_knows(code: str) -> bool:
        response = await person.post(f"/v1/persons/{ids['a']}/residence", headers=POLICE, json={
            "address_code": code, "moved_in": "2026-01-03", "reason": "务工", "residence_type": "rental",
            "owner_name": residence["owner_name"], "lessor_name": residence["lessor_name"]})
        return response.status_code == 200

    residence = {"owner_name": unique_name(""), "lessor_name": unique_name("")}
    data.names.update(residence.values())
    assert await eventually(lambda: person_knows(plate["code"])), "the person service never saw the plate"
    async def b_moves_in() -> bool:
        response = await person.post(f"/v1/persons/{ids['b']}/residence", headers=NEIGHBOUR_POLICE, json={
            "address_code": neighbour_plate["code"], "moved_in": "2026-02-01", "reason": "务工"})
        return response.status_code == 200

    assert await eventually(b_moves_in), "开远's person never moved in at 开远's plate"

    new_phone = phone()
    data.numbers.add(new_phone)
    await ok(person, "POST", f"/v1/persons/{ids['a']}/corrections", changes={"phone": new_phone}, reason_code="01",
             remark="采集时录入错误")

    owner, lessor, security = party(), party(), party()
    representative, unit_security = party(), party()
    for someone in (owner, lessor, security, representative, unit_security):
        remember(data, someone)
    built = await ok(house, "POST", "/v1/houses", address_code=plate["code"], property_nature="private", use="rented",
                     rooms=3, area=90, owner=owner)
    ids["house"] = built["house_id"]
    rental = await ok(house, "POST", f"/v1/houses/{ids['house']}/rentals", lessor=lessor, lessor_role="owner",
                      rooms_let=2, start="2026-01-02", security_person=security)
    for who in ("a", "b"):
        await ok(house, "POST", f"/v1/houses/{ids['house']}/rentals/{rental['rental_id']}/tenants",
                 person_id=ids[who], moved_in="2026-01-03")
    hotel = await ok(unit, "POST", "/v1/units", name="蒙自某宾馆" + unique_name(""), industry_code="H61",
                     address_code=plate["code"], unit_type="enterprise", legal_representative=representative,
                     security_person=unit_security)
    ids["unit"] = hotel["unit_id"]
    await ok(unit, "POST", f"/v1/units/{ids['unit']}/special-trades", trade="hotel", since="2026-01-01")
    for who in ("a", "b"):
        await ok(unit, "POST", f"/v1/units/{ids['unit']}/employees", person_id=ids[who], position="前台",
                 hired="2026-01-05")

    data.params = {
        "person_id": [ids["a"], ids["f"], ids["b"]], "key_person_id": [ids["kp"]], "house_id": [ids["house"]],
        "unit_id": [ids["unit"]], "code": [plate["code"]], "address_code": [plate["code"]],
        "division_code": [TOWNSHIP], "document_number": [a["document_number"], f["document_number"]],
        "id_number": [a["document_number"]], "name": [a["name"]], "phone": [new_phone], "tenant": [ids["a"]],
        "stream_id": [f"person-{ids['a']}", f"house-{ids['house']}", f"unit-{ids['unit']}"],
        "record_id": [ids["a"]], "month": ["2026-11"], "entity_type": ["person"],
    }
    return data


def operations(client) -> list[tuple[str, dict]]:
    """Every GET operation of one app (from its OpenAPI), but the ops routes and endless streams."""
    found = []
    for path, item in client.fastapi.openapi()["paths"].items():
        operation = item.get("get")
        if operation is None or not path.startswith("/v1/"):
            continue
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        if any(kind in content for kind in NOT_WALKED):
            continue
        found.append((path, operation))
    return found


def fallback(parameter: dict) -> str | None:
    schema = parameter.get("schema", {})
    options = [schema] + schema.get("anyOf", [])
    for option in options:
        if option.get("enum"):
            return str(option["enum"][0])
    examples = parameter.get("examples") or {}
    for example in examples.values() if isinstance(examples, dict) else []:
        if isinstance(example, dict) and example.get("value") is not None:
            return str(example["value"])
    return str(parameter["example"]) if parameter.get("example") is not None else None


def calls(path: str, operation: dict, values: dict[str, list[str]]) -> list[tuple[str, dict]]:
    """Each concrete call: every known path value, the required query alone, then each known optional one."""
    parameters = operation.get("parameters", [])
    paths = [path]
    for parameter in (p for p in parameters if p["in"] == "path"):
        options = values.get(parameter["name"]) or [fallback(parameter) or "000000000000"]
        paths = [p.replace("{" + parameter["name"] + "}", option) for p in paths for option in options]
    required: dict = {}
    for parameter in (p for p in parameters if p["in"] == "query" and p.get("required")):
        value = (values.get(parameter["name"]) or [fallback(parameter)])[0]
        if value is None:
            return []
        required[parameter["name"]] = value
    variants = [required]
    for parameter in (p for p in parameters if p["in"] == "query" and not p.get("required")):
        variants += [{**required, parameter["name"]: value} for value in values.get(parameter["name"], [])]
    return [(concrete, query) for concrete in paths for query in variants]


async def walk(apps, as_: dict, values: dict[str, list[str]]) -> list[tuple[str, int, object]]:  # noqa: F811
    """(call, status, parsed JSON) for every call of every GET route of every context."""
    answers = []
    for name, client in apps.items():
        for path, operation in operations(client):
            for concrete, query in calls(path, operation, values):
                response = await client.get(concrete, params=query, headers=as_)
                assert response.status_code < 500, f"{name} GET {concrete} {query}: {response.text[:300]}"
                if response.headers.get("content-type", "").startswith("application/json"):
                    answers.append((f"{name} GET {concrete} {query}", response.status_code, response.json()))
    return answers


def text_of(answer: object) -> str:
    return json.dumps(answer, ensure_ascii=False)


def without_own_lookups(value: object, org: str) -> object:
    """An access-log entry's ``lookup`` is what its reader typed: a county's own searches are not a leak to it."""
    if isinstance(value, dict):
        own = str((value.get("actor") or {}).get("organisation_code", "")).startswith(org)
        return {key: without_own_lookups(item, org) for key, item in value.items() if not (own and key == "lookup")}
    if isinstance(value, list):
        return [without_own_lookups(item, org) for item in value]
    return value


def keys_in(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


@pytest.fixture(scope="module")
async def unreached(apps, seeded) -> set[str]:  # noqa: F811
    """The seeded values no route shows even to an admin, once the read models have caught up (or 120 s)."""
    everything = seeded.numbers | seeded.names | seeded.neighbour_numbers | seeded.neighbour_names

    async def missing() -> set[str]:
        seen = "\n".join(text_of(answer) for _, _, answer in await walk(apps, ADMIN, seeded.params))
        return {value for value in everything if value not in seen}

    left = await missing()
    deadline = asyncio.get_running_loop().time() + 120
    while left and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1)
        left = await missing()
    return left


async def test_an_admin_walk_over_every_route_reaches_every_seeded_value(unreached):
    assert not unreached, f"no route showed these values even to an admin (the walk misses data): {sorted(unreached)}"


@pytest.mark.parametrize("role", list(ROLES))
async def test_no_route_shows_a_role_a_personal_value_it_may_not_see(apps, seeded, unreached, role):  # noqa: F811
    neighbour = role.startswith("neighbour")
    forbidden = seeded.numbers | (seeded.names if role != "collector" else set())
    if not neighbour:
        forbidden |= seeded.neighbour_numbers | seeded.neighbour_names
    answers = await walk(apps, ROLES[role], seeded.params)
    org = OUTSIDE_ORG if neighbour else "532503"
    # a refusal may repeat what the caller itself sent (a 404 naming the number asked for): that is no disclosure
    leaks = [f"{call}: {value}" for call, status, answer in answers for value in forbidden
             if value in text_of(without_own_lookups(answer, org)) and not (status >= 400 and value in call)]
    assert not leaks, f"{role} saw {len(leaks)} unmasked values:\n" + "\n".join(leaks[:40])
    if role in ("collector", "agency"):
        told = [f"{call}: {sorted(keys_in(answer) & KEY_PERSON_FIELDS)}" for call, _, answer in answers
                if keys_in(answer) & KEY_PERSON_FIELDS]
        assert not told, f"{role} was told who is a key person:\n" + "\n".join(told[:20])
        served = [call for call, status, _ in answers if status == 200 and seeded.ids["a"] in call]
        assert served, f"{role} was served nothing about the seeded person: the walk proves nothing"


async def test_a_view_shows_a_person_of_another_jurisdiction_masked_without_residence_or_key_status(
        apps, seeded):  # noqa: F811
    """蒙自's police see their hotel's employee and tenant from 开远 by masked name only (what they could read
    directly: nothing), and their own key person as such."""
    unit, house = apps["unit"], apps["house"]

    async def both_employed() -> dict | None:
        staff = (await unit.get(f"/v1/units/{seeded.ids['unit']}/employees", headers=POLICE)).json()
        entries = {entry["person_id"]: entry for entry in staff.get("current", [])}
        ready = set(entries) >= {seeded.ids["a"], seeded.ids["b"]} and entries[seeded.ids["a"]].get("key_person") \
            and entries[seeded.ids["a"]].get("residence") and entries[seeded.ids["b"]].get("division_code")
        return staff if ready else None

    staff = await eventually(both_employed)
    assert staff, "the employees view never showed both employees with their divisions"
    entries = {entry["person_id"]: entry for entry in staff["current"]}
    theirs, ours = entries[seeded.ids["b"]], entries[seeded.ids["a"]]
    assert theirs["name"] not in seeded.neighbour_names and theirs["name"].endswith("*")
    assert not {"residence", "key_person", "category", "person_status"} & set(theirs), theirs
    assert ours["name"] in seeded.names and ours["key_person"] is True and ours["residence"] is not None

    async def both_tenants_known() -> dict | None:
        occupants = (await house.get(f"/v1/houses/{seeded.ids['house']}/occupants", headers=POLICE)).json()
        tenants = {tenant["person_id"]: tenant for tenant in occupants.get("tenants", []) if tenant.get("known")}
        return tenants if set(tenants) >= {seeded.ids["a"], seeded.ids["b"]} \
            and tenants[seeded.ids["a"]].get("key_person") else None

    tenants = await eventually(both_tenants_known)
    assert tenants, "the occupants view never showed both tenants"
    theirs, ours = tenants[seeded.ids["b"]], tenants[seeded.ids["a"]]
    assert theirs["name"] not in seeded.neighbour_names and theirs["name"].endswith("*")
    assert not {"key_person", "address_code", "moved_in", "residence_type", "category"} & set(theirs), theirs
    assert ours["name"] in seeded.names and ours["key_person"] is True and ours["address_code"]


async def test_an_error_that_echoes_a_value_is_masked_too(apps, seeded):  # noqa: F811
    """A refusal that echoes the body (a validation error's ``input``) reaches an agency masked, like any answer."""
    body = {"category": "migrant", "document_number": fresh_id(), "phone": "+86139" + digits(8)}  # details missing
    response = await apps["person"].post("/v1/persons", json=body, headers=ROLES["agency"])
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "missing", response.text
    assert "input" in response.text, "the refusal no longer echoes the body: pick another echo"
    assert body["document_number"] not in response.text and body["phone"] not in response.text, response.text
