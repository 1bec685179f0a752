"""A batch's memory of the figures projection lives as long as its write buffer, and no longer (a city load
applies thousands of batches: one kept by mistake would keep every record it read)."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace

from services.audit.projections import figures_batch


class Buffer:
    def ahead(self, collection: str, key):
        return False, None


def applied_batch() -> tuple[weakref.ref, weakref.ref]:
    buffer = Buffer()
    tx = SimpleNamespace(buffer=buffer, session=None, generation=1, db={}, collection=lambda name: None,
                         envelope=SimpleNamespace(stream_type="Person"), partition=0)
    batch = figures_batch.batch_of(tx)
    batch.records["P-1"] = {"_id": "P-1", "timeline": []}
    assert figures_batch.batch_of(tx).records is batch.records  # the next event of the batch shares it
    return weakref.ref(buffer), weakref.ref(batch)


def test_a_batchs_memory_ends_with_its_write_buffer():
    refs = [applied_batch() for _ in range(5)]
    gc.collect()
    assert [(buffer(), batch()) for buffer, batch in refs] == [(None, None)] * 5
    assert len(figures_batch._BATCHES) == 0
