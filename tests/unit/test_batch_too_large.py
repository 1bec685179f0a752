"""A batch the server cannot hold in one transaction is halved, not replayed one event at a time: at a city's
size a rebuild's 5,000-event batch hit SecantusDB's TransactionTooLargeForCache, and one at a time took hours."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pymongo.errors import OperationFailure

from contracts.envelope import Actor, EventEnvelope

from services.kernel.messaging.projection import Projection
from services.kernel.messaging.projection_runner import ProjectionRunner


class _Database:
    def __getitem__(self, name: str):
        return SimpleNamespace(name=name)


TOO_LARGE = OperationFailure("Transaction is too large", code=388)
#: what SecantusDB answers once a batch's transaction outlived its lifetime limit
OUTLIVED = OperationFailure('Internal("transaction already closed")', code=1)


class _Batches:
    """Takes a run of at most ``fits`` events in one transaction; a larger one is too large (or too long)."""

    def __init__(self, fits: int, error: OperationFailure = TOO_LARGE) -> None:
        self.fits, self.tried, self.error = fits, [], error

    async def apply(self, run) -> int:
        self.tried.append(len(run))
        if len(run) > self.fits:
            raise self.error
        return len(run)


ACTOR = Actor(id="officer-1", role="police", organisation_code="532503")


def _records(count: int) -> list:
    return [SimpleNamespace(value=EventEnvelope(event_type="X", stream_id=f"s-{offset}", stream_type="S", version=1,
                                                actor=ACTOR, correlation_id="c-1", payload={}).to_bytes(),
                            key=b"k", headers=[], topic="t", partition=0, offset=offset, timestamp=0)
            for offset in range(count)]


def _runner(fits: int, error: OperationFailure = TOO_LARGE) -> ProjectionRunner:
    runner = ProjectionRunner(Projection("demo", ["demo"], ["records"]), client=None, db=_Database(), producer=None,
                              namespace="t")
    runner.batches = _Batches(fits, error)
    runner._handle = None  # one at a time would fail here: it must not be reached
    return runner


@pytest.mark.parametrize("error", [TOO_LARGE, OUTLIVED], ids=["too-large-for-cache", "outlived-its-lifetime"])
async def test_a_batch_too_large_is_halved_until_it_fits_and_the_size_is_kept(error):
    runner = _runner(fits=125, error=error)
    records = _records(500)
    settled = await runner.apply_batch(records)
    assert settled == 125 and runner.batches.tried == [500, 250, 125]
    assert runner.transaction_cap == 125
    assert await runner.apply_batch(records[settled:]) == 125  # the next batch starts at the size that fitted
    assert runner.batches.tried[-1] == 125


async def test_a_single_event_too_large_still_goes_the_one_at_a_time_way():
    runner = _runner(fits=0)
    handled = []

    async def handle(record):
        handled.append(record.offset)
        return "applied"

    runner._handle = handle
    assert await runner.apply_batch(_records(2)) == 1
    assert runner.batches.tried == [2, 1] and handled == [0]
