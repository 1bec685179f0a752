"""Pure kernel logic: envelope headers, aggregate replay, upcasting, tokens."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from contracts.envelope import Actor, EventEnvelope, new_event_id
from contracts.events import DomainEvent, upcast, upcaster
from services.kernel.eventsourcing.aggregate import Aggregate, applies
from services.kernel.web.auth import decode_token, mint_token
from services.kernel.base.settings import Settings

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")


class CounterIncremented(DomainEvent):
    by: int


class Counter(Aggregate):
    stream_type = "Counter"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.total = 0

    def increment(self, by: int) -> None:
        self.record(CounterIncremented(by=by))

    @applies(CounterIncremented)
    def _incremented(self, event: CounterIncremented) -> None:
        self.total += event.by


class CounterReset(DomainEvent):
    pass


class CounterCleared(DomainEvent):
    pass


class ResettableCounter(Counter):
    @applies(CounterReset, CounterCleared)
    def _reset(self, event: DomainEvent) -> None:
        self.total = 0


def test_one_applier_takes_several_event_types_and_an_event_without_one_is_refused():
    counter = ResettableCounter("c-1")
    counter.increment(2)
    counter.record(CounterReset())
    assert counter.total == 0
    counter.increment(1)
    counter.record(CounterCleared())
    assert counter.total == 0 and len(counter.pending) == 4
    with pytest.raises(TypeError, match="no applier for CounterReset"):
        Counter("c-2").apply(CounterReset())


def test_event_ids_are_time_ordered():
    ids = [new_event_id() for _ in range(200)]
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)


def test_envelope_metadata_travels_as_headers_and_round_trips():
    envelope = EventEnvelope(event_type="X", stream_id="s-1", stream_type="S", version=3, actor=ACTOR,
                             correlation_id="c-9", payload={"a": "标准地址"})
    headers = dict(envelope.kafka_headers())
    assert headers["stream_id"] == b"s-1" and headers["version"] == b"3" and headers["correlation_id"] == b"c-9"
    assert headers["actor_organisation_code"] == b"532503"
    assert EventEnvelope.from_bytes(envelope.to_bytes()) == envelope


def test_aggregate_records_and_replays_through_the_same_applier():
    counter = Counter("c-1")
    counter.increment(2)
    counter.increment(3)
    assert counter.total == 5 and len(counter.pending) == 2
    replayed = Counter("c-1")
    for event in counter.pending:
        replayed.apply(event)
    assert replayed.total == 5


def test_upcasters_chain_old_payloads_to_the_newest_shape():
    @upcaster("LegacyThing", 1)
    def _v1_to_v2(payload):
        return {**payload, "unit": "m"}

    @upcaster("LegacyThing", 2)
    def _v2_to_v3(payload):
        return {"size": payload["length"], "unit": payload["unit"]}

    assert upcast("LegacyThing", 1, {"length": 4}) == (3, {"size": 4, "unit": "m"})
    assert upcast("LegacyThing", 3, {"size": 4, "unit": "m"}) == (3, {"size": 4, "unit": "m"})


def test_tokens_carry_role_and_organisation_and_bad_ones_are_refused(tmp_path):
    from tests.keyring import Keyring

    settings = Settings()  # local mode (tests/conftest.py): the development keys
    claims = decode_token(mint_token("PC-7", "supervisor", "532503", settings), settings)
    assert (claims["sub"], claims["role"], claims["org"]) == ("PC-7", "supervisor", "532503")
    stranger = Keyring(tmp_path).add("dev-user")  # same kid, another key: the signature does not verify
    with pytest.raises(HTTPException) as refused:
        decode_token(stranger.sign("dev-user"), settings)
    assert refused.value.status_code == 401 and "Signature" in refused.value.detail
    with pytest.raises(HTTPException):
        decode_token(mint_token("PC-7", "police", "532503", settings, ttl_seconds=-5), settings)


async def test_an_unexpected_error_answers_json_with_the_correlation_id():
    import httpx
    from fastapi import FastAPI

    from services.kernel.web.http import install_error_handlers, install_middleware

    app = FastAPI()
    install_middleware(app, "test")
    install_error_handlers(app)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom", headers={"X-Correlation-ID": "corr-1"})
    assert response.status_code == 500
    assert response.json()["correlation_id"] == "corr-1"


def test_a_write_conflict_is_infrastructure_however_the_server_reports_it():
    """Retried by rewinding, never counted towards a dead letter (which would park the stream)."""
    from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

    from services.kernel.messaging.failures import is_infrastructure

    assert is_infrastructure(OperationFailure("write conflict", code=112))
    labelled = OperationFailure("conflict", code=999, details={"errorLabels": ["TransientTransactionError"]})
    assert is_infrastructure(labelled)
    assert is_infrastructure(BulkWriteError({"writeErrors": [{"code": 112, "errmsg": "WriteConflict"}]}))
    assert not is_infrastructure(DuplicateKeyError("E11000", code=11000))
    assert not is_infrastructure(ValueError("a handler bug"))


def test_live_batch_limits_come_from_the_settings(monkeypatch):
    """YBSS_PROJECTION_BATCH_* size a live transaction; a rebuild passes its own, larger limits."""
    from services.kernel.messaging.batching import BatchLimits
    from services.kernel.messaging.projection import Projection
    from services.kernel.messaging.projection_runner import ProjectionRunner
    from services.kernel.base.settings import Settings

    monkeypatch.setenv("YBSS_PROJECTION_BATCH_MAX_EVENTS", "50")
    monkeypatch.setenv("YBSS_PROJECTION_BATCH_MAX_SECONDS", "1.5")
    from collections import defaultdict

    projection = Projection("limits-test", sources=["address"], collections=[])
    no_database = defaultdict(lambda: None)  # the runner only names its collections here: no I/O
    runner = ProjectionRunner.for_settings(projection, None, no_database, None, Settings(), 1)
    assert (runner.limits.max_events, runner.limits.max_seconds) == (50, 1.5)
    rebuild = ProjectionRunner.for_settings(projection, None, no_database, None, Settings(), 2,
                                            limits=BatchLimits(max_events=5000))
    assert rebuild.limits.max_events == 5000
