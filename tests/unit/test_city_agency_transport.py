"""The city loader's bulk transport against a fake ingest gate: concurrent records are gathered into agency
batches, each record is answered from its own row as the registry's route would answer (what it created, a
duplicate naming the holder, "not visible yet" worth sending again), and a record the gate refuses is answered
with the gate's 422 while the rest of its batch is sent again without it."""

from __future__ import annotations

import asyncio
import json

import httpx

from services.city.agency_transport import AgencyTransport, answer_of
from services.city.load import Loader
from services.city.transport import HttpTransport


class FakeGate:
    """POST /v1/ingest/city-load/batches and GET its status, answering each record by its fields."""

    def __init__(self) -> None:
        self.batches: dict[str, list[dict]] = {}

    def row(self, record: dict) -> dict:
        fields, rid = record["fields"], record["record_id"]
        if fields.get("address_code") == "taken":
            return {"record_id": rid, "status": "rejected", "reasons": [
                {"field": "", "rule": "house.duplicate", "msg": "address taken already has house H-first"}]}
        if fields.get("address_code") == "unseen":
            return {"record_id": rid, "status": "rejected", "reasons": [
                {"field": "address_code", "rule": "address.unknown", "msg": "no standard address"}]}
        entity = {"house": "H-{n}", "rental": "{house_id}/R-{n}", "tenant": "{house_id}/{rental_id}/{person_id}",
                  "residence": "{person_id}"}
        return {"record_id": rid, "status": "accepted", "version": 1,
                "entity_id": entity[record["entity_type"]].format(n=rid.rsplit(":", 1)[-1], **fields)}

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            records = json.loads(request.content)["records"]
            refused = [{"loc": ["body", "records", i, "area"], "type": "field.not_permitted", "msg": "area"}
                       for i, record in enumerate(records) if "secret" in record["fields"]]
            if refused:
                return httpx.Response(422, json={"detail": refused})
            batch = f"B{len(self.batches)}"
            self.batches[batch] = [self.row(record) for record in records]
            return httpx.Response(202, json={"batch_id": batch, "status_url": f"/v1/ingest/batches/{batch}"})
        rows = self.batches[request.url.path.rsplit("/", 1)[-1]]
        return httpx.Response(200, json={"done": True,
                                         "accepted_records": [r for r in rows if r["status"] == "accepted"],
                                         "rejected_records": [r for r in rows if r["status"] == "rejected"]})


def transport(gate: FakeGate) -> AgencyTransport:
    client = httpx.AsyncClient(transport=httpx.MockTransport(gate.handle), base_url="http://ingest")
    return AgencyTransport(HttpTransport(clients={"ingest": client}, tokens={"police": "p", "supervisor": "s"}),
                           client, "agency-token", batch_size=3, linger=0.01, poll=0.01)


async def test_records_are_gathered_into_batches_and_each_answered_as_its_route_would():
    gate = FakeGate()
    bulk = transport(gate)
    houses = [bulk.send_record("house", f"city:h{i}", {"address_code": f"A{i}"}) for i in range(4)]
    answers = await asyncio.gather(
        *houses, bulk.send_record("house", "city:hx", {"address_code": "taken"}),
        bulk.send_record("house", "city:hy", {"address_code": "unseen"}),
        bulk.send_record("rental", "city:l1", {"lessor_role": "owner"}, target="H-1"),
        bulk.send_record("tenant", "city:t1", {"person_id": "P-9"}, target="H-1", rental="R-l1"),
        bulk.send_record("house", "city:hz", {"address_code": "A9", "secret": 1}))
    await bulk.close()

    assert len(gate.batches) == 3  # 9 records, 3 a batch (the refused one sent in none)
    assert [(a.status, a.body.get("house_id")) for a in answers[:4]] == [(201, f"H-h{i}") for i in range(4)]
    duplicate, unseen, rental, tenant, refused = answers[4:]
    assert (duplicate.status, duplicate.rules) == (409, ["house.duplicate"])
    assert str(duplicate.body["detail"]).rsplit(" ", 1)[-1] == "H-first"  # the loader's Kind.already reads it
    assert unseen.status == 422 and unseen.transient  # the loader sends it again
    assert rental.body["rental_id"] == "R-l1" and tenant.body["house_id"] == "H-1"
    assert (refused.status, refused.rules) == (422, ["field.not_permitted"])
    assert all(r["record_id"] != "city:hz" for rows in gate.batches.values() for r in rows)


async def test_a_residence_goes_as_an_agency_record_of_the_person_it_names():
    bulk = transport(FakeGate())
    moved = await bulk.send_record("residence", "city:s1", {"address_code": "A1", "moved_in": "2026-01-02",
                                                            "reason": "居住"}, target="P-7")
    await bulk.close()
    assert bulk.covers("residence") and (moved.status, moved.body["person_id"]) == (201, "P-7")


def test_a_record_without_a_row_is_worth_sending_again_and_a_race_too():
    assert answer_of("house", None).transient
    race = answer_of("rental", {"status": "rejected", "reasons": [{"field": "", "rule": "version.conflict",
                                                                    "msg": "moved on"}]})
    assert race.status == 409 and race.transient
    gone = answer_of("tenant", {"status": "rejected", "reasons": [{"field": "record_id", "rule": "house.not_found",
                                                                   "msg": "house 'H' not found"}]})
    assert gone.status == 404


def test_a_city_is_one_set_of_agency_records_by_its_tag(tmp_path):
    (tmp_path / "manifest.json").write_text('{"seed": 7, "persons": 300, "as_of": "2026-12-03", "files": [], '
                                            '"total": 0}', encoding="utf-8")
    loader = Loader(tmp_path, transport(FakeGate()), show_progress=False)
    loader.log.close()
    assert loader.tag == "city-7-300-2026-12-03"
