"""The loader's bulk path (历史数据导入): records an agency record type covers go as agency batches, the rest by HTTP.

The agency ``city-load`` (services/ingest/agencies.json, 蒙自市公安局历史数据导入) is granted the create fields of
persons, houses, units, rentals, tenants, employees and residences (居住登记). Its records pass the same gate (only
granted fields, only its jurisdiction) and the same registry commands as any agency's, and the registries take the
creates of one poll together (``create_many``: persons, houses, units, residences) where the one-by-one route
costs a claim, an append and a hand-over per record. Each record is answered on its own, from the batch status, as the loader's ``Answer`` the
registry's route would have given (accepted with what it created, or the refusal with its rule), so the loader's
retries ("not visible yet"), progress file and duplicate rules work unchanged.

Idempotent per record: the agency record id is the city's record id under the city's tag, and the gate answers a
record sent again (same id, same content) with its stored answer, never applying it twice — a record whose answer
was lost in a crash is simply sent again. Concurrent ``send_record`` calls are gathered into batches of
``batch_size`` (sent after ``linger`` seconds when fewer wait), ``batches_in_flight`` at a time.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import Callable

import httpx

from services.city.kinds import KINDS
from services.city.transport import Answer, HttpTransport, json_of, local_token

AGENCY = "city-load"


@dataclass(frozen=True)
class AgencyKind:
    """How a city record of one kind becomes an agency record, and what of the answer the loader keeps."""

    entity_type: str
    fields: Callable[[dict, str | None, str | None], dict]  #: (body, target code, rental id) → the record's fields
    part: int = 0  #: which part of the entity id (``<house_id>/<rental_id>/…``) is the loader's result


def _body(body: dict, _target, _rental) -> dict:
    return body


AGENCY_KINDS: dict[str, AgencyKind] = {
    "person": AgencyKind("person", _body),
    "house": AgencyKind("house", _body),
    "unit": AgencyKind("unit", _body),
    "rental": AgencyKind("rental", lambda body, target, _: {"house_id": target, **body}, part=1),
    "tenant": AgencyKind("tenant", lambda body, target, rental: {"house_id": target, "rental_id": rental, **body}),
    "employee": AgencyKind("employee", lambda body, target, _: {"unit_id": target, **body}),
    "residence": AgencyKind("residence", lambda body, target, _: {"person_id": target, **body}),
}


def answer_of(kind: str, row: dict | None) -> Answer:
    """A batch row as the registry's route would have answered: 201 with the result field, 409 for a duplicate
    or a step already done (its message naming the holder, as the route's detail does), 404 for a record not
    found, 409 with a version for a write race (both worth sending again), 422 otherwise."""
    if row is None:
        return Answer(0, {"detail": "the batch did not answer this record in time"})
    if row.get("status") == "accepted":
        entity = str(row.get("entity_id") or "")
        return Answer(201, {KINDS[kind].result: entity.split("/")[AGENCY_KINDS[kind].part], "entity_id": entity})
    reasons = row.get("reasons") or [{"field": "", "rule": f"city.{row.get('status')}",
                                      "msg": "the record awaits an address review"}]
    rules = [reason["rule"] for reason in reasons]
    if len(reasons) == 1 and rules[0] in KINDS[kind].already + KINDS[kind].done:
        return Answer(409, {"type": rules[0], "detail": reasons[0]["msg"]})
    if rules == ["version.conflict"]:
        return Answer(409, {"type": rules[0], "detail": reasons[0]["msg"], "current_version": None})
    status = 404 if all(rule.endswith(".not_found") for rule in rules) else 422
    return Answer(status, {"detail": [{"loc": ["body", *[p for p in reason["field"].split(".") if p]],
                                       "type": reason["rule"], "msg": reason["msg"]} for reason in reasons]})


@dataclass
class _Pending:
    kind: str
    record: dict
    future: asyncio.Future


class AgencyTransport:
    """``covers(kind)`` records go as batches of the ``city-load`` agency (``send_record``); ``send`` and ``get``
    are the registries' HTTP routes (``http``) for everything else."""

    def __init__(self, http: HttpTransport | None = None, ingest: httpx.AsyncClient | None = None,
                 token: str | None = None, batch_size: int = 1000, batches_in_flight: int = 2,
                 linger: float = 0.2, poll: float = 0.5, patience: float = 1800) -> None:
        self.http = http or HttpTransport()
        self.client = ingest or self.http.clients["ingest"]
        token = token or os.environ.get("YBSS_CITY_AGENCY_TOKEN") or local_token("agency", sub=AGENCY)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.batch_size, self.linger, self.poll, self.patience = batch_size, linger, poll, patience
        self.slots = asyncio.Semaphore(batches_in_flight)
        self.in_flight = batch_size * batches_in_flight  #: how many records the loader should keep waiting here
        self.pending: list[_Pending] = []
        self.timer: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Task] = set()
        self.batches = 0

    def covers(self, kind: str) -> bool:
        return kind in AGENCY_KINDS

    async def send_record(self, kind: str, record_id: str, body: dict, target: str | None = None,
                          rental: str | None = None) -> Answer:
        record = {"record_id": record_id, "entity_type": AGENCY_KINDS[kind].entity_type, "operation": "create",
                  "fields": AGENCY_KINDS[kind].fields(body, target, rental)}
        future = asyncio.get_running_loop().create_future()
        self.pending.append(_Pending(kind, record, future))
        if len(self.pending) >= self.batch_size:
            self._flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.linger, self._flush)
        return await future

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        while self.pending:
            items, self.pending = self.pending[:self.batch_size], self.pending[self.batch_size:]
            task = asyncio.create_task(self._batch(items))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _batch(self, items: list[_Pending]) -> None:
        try:
            async with self.slots:
                answers = await self._submit(items)
        except Exception as error:  # noqa: BLE001 - every record of it is sent again by the loader's retry
            answers = {id(item): Answer(0, {"detail": f"{type(error).__name__}: {error}"}) for item in items}
        for item in items:
            if not item.future.done():
                item.future.set_result(answers.get(id(item), answer_of(item.kind, None)))

    async def _submit(self, items: list[_Pending]) -> dict[int, Answer]:
        """Send one batch and wait for its answers; a record the gate refuses is answered with the gate's 422
        and the rest is sent again without it (the gate refuses a batch whole)."""
        answers: dict[int, Answer] = {}
        while items:
            response = await self.client.post(f"/v1/ingest/{AGENCY}/batches", headers=self.headers,
                                              json={"records": [item.record for item in items]})
            if response.status_code == 422:
                named: dict[int, list] = {}
                for detail in response.json().get("detail", []):
                    loc = detail.get("loc", [])
                    if len(loc) > 2 and isinstance(loc[2], int):
                        named.setdefault(loc[2], []).append(detail)
                if not named:
                    return {id(item): Answer(422, response.json()) for item in items}
                for index, details in named.items():
                    answers[id(items[index])] = Answer(422, {"detail": details})
                items = [item for index, item in enumerate(items) if index not in named]
                continue
            if response.status_code != 202:
                return {**answers, **{id(item): Answer(response.status_code, json_of(response)) for item in items}}
            self.batches += 1
            rows = await self._answered(response.json()["status_url"], len(items))
            by_record = {row["record_id"]: row for row in rows}
            for item in items:
                answers[id(item)] = answer_of(item.kind, by_record.get(item.record["record_id"]))
            return answers
        return answers

    async def _answered(self, status_url: str, total: int) -> list[dict]:
        """Poll the batch's progress until every record is answered (or ``patience`` runs out: the unanswered
        ones are then sent again by the loader, and answered from the stored answer if they were applied)."""
        deadline = time.monotonic() + self.patience
        while True:
            done = time.monotonic() > deadline
            response = await self.client.get(status_url, headers=self.headers, params={"limit": 1})
            if response.status_code == 200 and response.json().get("done") or done:
                break
            await asyncio.sleep(self.poll)
        response = await self.client.get(status_url, headers=self.headers, params={"limit": max(total, 1)})
        if response.status_code != 200:
            return []
        status = response.json()
        return [*status.get("accepted_records", []), *status.get("rejected_records", []),
                *status.get("review_records", [])]

    async def send(self, service: str, path: str, body: dict, role: str) -> Answer:
        return await self.http.send(service, path, body, role)

    async def get(self, service: str, path: str, params: dict | None = None) -> Answer:
        return await self.http.get(service, path, params)

    async def close(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.close()



def make_transport(name: str = "agency", batch: int = 1000):
    """The loader's transport: the agency batches beside HTTP (the bulk path, the default), or HTTP alone."""
    return HttpTransport() if name == "http" else AgencyTransport(HttpTransport(), batch_size=batch)
