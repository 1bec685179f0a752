"""``ybss city load DIR``: send a generated city through the platform's front doors, resumably.

Chunks are sent in the manifest's order (a record refers only to records of earlier phases), the records of a
chunk concurrently: those the transport batches (services/city/agency_transport.py: persons, houses, units,
rentals, tenants, employees, residences as the city-load agency's records) a batch at a time, the rest
``concurrency`` at a time over HTTP. ``DIR/progress.jsonl`` records what was acknowledged (the code or id each record created) and
what was refused for good; a re-run skips both, so loading twice changes nothing. Safe after a crash mid-chunk:
a record whose answer was lost is sent again and its registry's duplicate rule names what it created
(``Kind.already``) or says it is done (``Kind.done``); the few kinds without such a rule (a rental, a check, an
inspection, a key-person application, a legacy duplicate person) are marked ``sent`` before they go over HTTP and
looked up on the next run instead of being sent twice; as agency records they need no mark (a record sent again
under its record id ``<city tag>:<id>`` gets its stored answer, never a second record). A refusal that only
means "not visible yet" (another context's replica catching up, 503) is retried with backoff.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from contracts.address_codes import room_code
from contracts.buildings import Room
from services.city.kinds import KINDS, PHASES
from services.city.transport import Answer, Transport
from services.city.writer import read_chunk
from services.kernel.operations.progress import Progress

PROGRESS_FILE = "progress.jsonl"
#: How long a record refused as "not visible yet" is sent again: another context's replica can lag minutes behind
#: a load on a busy machine (a house naming its owner waits for the house service's copy of the person).
RETRY_SECONDS = float(os.environ.get("YBSS_CITY_RETRY_SECONDS", "900"))
NOT_FOUND_SECONDS = 120.0


class Unresolved(Exception):
    """A record names one that was refused or never loaded."""


@dataclass
class Report:
    records: int = 0
    sent: int = 0
    skipped: int = 0
    rejected: int = 0
    retries: int = 0
    seconds: float = 0.0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    rejections: list[dict] = field(default_factory=list)

    @property
    def records_per_s(self) -> float:
        return round(self.sent / self.seconds, 1) if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"records": self.records, "sent": self.sent, "skipped": self.skipped, "rejected": self.rejected,
                "retries": self.retries, "seconds": round(self.seconds, 1), "records_per_s": self.records_per_s,
                "by_kind": self.by_kind, "rejections": self.rejections[:20]}


class ProgressLog:
    """The progress file: one JSON line per acknowledged, refused or in-flight record, appended and flushed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.results: dict[str, str] = {}
        self.rejected: dict[str, Any] = {}
        self.sent: set[str] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:  # a line cut by a crash
                    continue
                if "ok" in entry:
                    self.results[entry["id"]] = entry["ok"]
                elif "rejected" in entry:
                    self.rejected[entry["id"]] = entry["rejected"]
                elif "sent" in entry:
                    self.sent.add(entry["id"])
        self.handle = open(path, "a", encoding="utf-8")

    def done(self, record_id: str) -> bool:
        return record_id in self.results or record_id in self.rejected

    def write(self, entry: dict, flush: bool = False) -> None:
        self.handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        if flush:
            self.handle.flush()

    def ok(self, record_id: str, result: str) -> None:
        self.results[record_id] = result
        self.write({"id": record_id, "ok": result})

    def refuse(self, record_id: str, reason: Any) -> None:
        self.rejected[record_id] = reason
        self.write({"id": record_id, "rejected": reason}, flush=True)

    def mark_sent(self, record_id: str) -> None:
        self.sent.add(record_id)
        self.write({"id": record_id, "sent": 1}, flush=True)

    def close(self) -> None:
        self.handle.flush()
        self.handle.close()


def needs_mark(record: dict) -> bool:
    """Kinds whose registry has no rule that recognises a second sending of the same record, planted duplicates
    (``duplicate_of``: a second record of a document or door number) and legacy imports, which the registry keeps
    as a new record every time they are sent."""
    return record["kind"] in ("rental", "check", "inspection", "key_person") or "duplicate_of" in record or bool(
        record["body"].get("legacy_import"))  # a legacy record is kept even when its document is registered


class Loader:
    def __init__(self, directory: Path, transport: Transport, concurrency: int = 16, show_progress: bool = True,
                 retry_rejected: bool = False, until: str | None = None) -> None:
        self.directory, self.transport, self.concurrency = directory, transport, concurrency
        if until is not None and until not in PHASES:
            raise ValueError(f"until: one of {', '.join(PHASES)}, got {until!r}")
        self.until = until
        self.manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        self.log = ProgressLog(directory / PROGRESS_FILE)
        if retry_rejected:
            self.log.rejected.clear()
        self.report = Report()
        self.show_progress = show_progress
        #: the city's records as one agency's record ids (``<tag>:<id>``): another city is another set of records
        self.tag = "city-{seed}-{persons}-{as_of}".format(**self.manifest)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "$ref" in value:
                return self.code_of(value["$ref"])
            if "$room" in value:
                plate, unit, floor, seq = value["$room"]
                return room_code(self.code_of(plate), 1, Room("room", unit, floor, "", "", seq))
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def code_of(self, record_id: str) -> str:
        if record_id not in self.log.results:
            raise Unresolved(f"{record_id} was not loaded"
                             + (f" (refused: {self.log.rejected[record_id]})" if record_id in self.log.rejected else ""))
        return self.log.results[record_id]

    async def run(self) -> Report:
        started = time.perf_counter()
        total = self.manifest["total"]
        bar = Progress("city load", total) if self.show_progress else None
        try:
            for name in self.manifest["files"]:
                if self.until and PHASES.index(name.split("-")[1]) > PHASES.index(self.until):
                    break
                records = read_chunk(self.directory / name)
                self.report.records += len(records)
                todo = [r for r in records if not self.log.done(r["id"])]
                self.report.skipped += len(records) - len(todo)
                if bar:
                    bar.advance(len(records) - len(todo))
                await self._chunk(todo, bar)
                self.log.handle.flush()
        finally:
            self.log.close()
            if bar:
                bar.close()
        self.report.seconds = time.perf_counter() - started
        return self.report

    async def _chunk(self, records: list[dict], bar: Progress | None) -> None:
        """The chunk's records at once: those the transport batches (``covers``) with as many waiting as its
        batches hold, the rest ``concurrency`` at a time."""
        covers = getattr(self.transport, "covers", None)
        batched = [record for record in records if covers and covers(record["kind"])]
        alone = [record for record in records if not (covers and covers(record["kind"]))]
        await asyncio.gather(self._run(alone, self.concurrency, bar),
                             self._run(batched, getattr(self.transport, "in_flight", 1), bar))

    async def _run(self, records: list[dict], width: int, bar: Progress | None) -> None:
        queue: asyncio.Queue = asyncio.Queue()
        for record in records:
            queue.put_nowait(record)

        async def worker() -> None:
            while not queue.empty():
                record = queue.get_nowait()
                began = time.perf_counter()
                await self._one(record)
                stats = self.report.by_kind.setdefault(record["kind"], {"count": 0, "seconds": 0.0})
                stats["count"] += 1
                stats["seconds"] = round(stats["seconds"] + time.perf_counter() - began, 3)
                if bar:
                    bar.advance(1)

        await asyncio.gather(*(worker() for _ in range(max(1, min(width, len(records))))))

    async def _one(self, record: dict) -> None:
        kind = KINDS[record["kind"]]
        try:
            body = self.resolve(record["body"])
            target = self.code_of(record["target"]) if "target" in record else None
            rental = self.code_of(record["rental"]) if "rental" in record else None
        except Unresolved as error:
            self._refuse(record, {"rule": "city.unresolved", "detail": str(error)})
            return
        path = kind.path.format(target=target or "", rental=rental or "")
        batched = getattr(self.transport, "covers", lambda _: False)(record["kind"])
        if needs_mark(record):
            if record["id"] in self.log.sent:  # sent before (over HTTP): did it arrive?
                found = await self._look_up(record, path, body)
                if found:
                    self.log.ok(record["id"], found)
                    return
            if not batched:  # an agency record sent again is answered from its stored answer, never applied twice
                self.log.mark_sent(record["id"])
        if batched:
            answer = await self._send(lambda: self.transport.send_record(  # type: ignore[attr-defined]
                record["kind"], f"{self.tag}:{record['id']}", body, target, rental))
        else:
            answer = await self._send(lambda: self.transport.send(kind.service, path, body, kind.role))
        self.report.sent += 1
        result = self._result(kind, answer, duplicate="duplicate_of" in record)
        if result is not None:
            self.log.ok(record["id"], result)
        else:
            self._refuse(record, {"status": answer.status, "answer": answer.body})

    def _result(self, kind, answer: Answer, duplicate: bool = False) -> str | None:
        """What the record created, or None when refused; a planted duplicate's 409 names the first record, not
        this one, so it stays a refusal."""
        if 200 <= answer.status < 300 and isinstance(answer.body, dict):
            return str(answer.body.get(kind.result) or answer.body.get("stream_id") or "")
        if answer.status == 409 and set(answer.rules) & set(kind.already) and not duplicate:
            return str(answer.body.get("detail", "")).rsplit(" ", 1)[-1]
        if answer.status == 409 and set(answer.rules) & set(kind.done):
            return "done"
        return None

    async def _send(self, send: Callable[[], Awaitable[Answer]]) -> Answer:
        started, pause = time.monotonic(), 0.25
        while True:
            answer = await send()
            # a 404 of the record itself is given two minutes; a replica catching up (422) or 503, the full budget
            budget = min(RETRY_SECONDS, NOT_FOUND_SECONDS) if answer.status == 404 else RETRY_SECONDS
            if not answer.transient or time.monotonic() - started > budget:
                return answer
            self.report.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    def _refuse(self, record: dict, reason: Any) -> None:
        self.report.rejected += 1
        self.log.refuse(record["id"], reason)
        if len(self.report.rejections) < 100:
            self.report.rejections.append({"id": record["id"], "kind": record["kind"], "reason": reason})

    async def _look_up(self, record: dict, path: str, body: dict) -> str | None:
        """After a crash: did the record sent last time arrive? (Read back from its registry.)"""
        kind = record["kind"]
        if kind in ("rental", "check", "inspection"):
            service, parent = ("house", path.rsplit("/", 1)[0]) if kind != "inspection" else \
                ("unit", path.rsplit("/", 1)[0])
            answer = await self.transport.get(service, parent)
            if answer.status != 200:
                return None
            if kind == "rental":
                items = answer.body.get("rentals") or []
                return items[0].get("rental_id") if items else None
            if kind == "check":
                return next((c.get("check_id", "done") for c in answer.body.get("checks") or []
                             if c.get("remark") == body["remark"]), None)
            return next((i.get("inspection_id", "done") for i in answer.body.get("inspections") or []
                         if i.get("findings") == body["findings"]), None)
        if kind == "key_person":
            answer = await self.transport.get("person", "/v1/key-persons", {"person_id": body["person_id"]})
            items = answer.body.get("items") if answer.status == 200 else None
            return items[0].get("key_person_id") if items else None
        known = set(self.log.results.values())
        if kind == "doorplate":  # a second plate of the number on the road, not one this load already made
            answer = await self.transport.get("address", "/v1/doorplates", {"place_code": body["place_code"],
                                                                            "limit": 500})
            items = answer.body.get("items") or [] if answer.status == 200 else []
            return next((p["code"] for p in items if p.get("number") == body["number"] and p["code"] not in known),
                        None)
        answer = await self.transport.get("person", "/v1/persons", {"id_number": body["document_number"],
                                                                    "include_merged": "true", "limit": 50})
        items = answer.body.get("items") or [] if answer.status == 200 else []
        return next((p["person_id"] for p in items if p.get("person_id") not in known), None)


async def load(directory: Path, transport: Transport, concurrency: int = 16, show_progress: bool = True,
               retry_rejected: bool = False, until: str | None = None) -> Report:
    """Load ``directory`` (through the phase ``until`` when given: the rest on a later run)."""
    try:
        return await Loader(directory, transport, concurrency, show_progress, retry_rejected, until).run()
    finally:
        await transport.close()
