"""records_as_of never sends a query that grows with the division: the touched streams come from an aggregation
cursor and are read back a bounded chunk at a time (MongoDB caps a command and an answer at 16 MB)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from services.audit.views import archive as views
from services.audit.views.archive import STREAM_CHUNK, records_as_of


class Cursor:
    def __init__(self, documents):
        self.documents = documents

    def sort(self, *_):
        self.documents = sorted(self.documents, key=lambda d: (d["stream_id"], d["version"]))
        return self

    def __aiter__(self):
        async def iterate():
            for document in self.documents:
                yield document
        return iterate()


class Archive:
    """Just enough of a collection: remembers every filter it was sent."""

    def __init__(self, documents):
        self.documents = documents
        self.sent = []

    async def aggregate(self, pipeline, **_):
        self.sent.append(pipeline)
        prefix = pipeline[0]["$match"]["division_code"]["$regex"].lstrip("^")
        return Cursor([{"_id": s, "version": 0, "stream_id": s}
                       for s in sorted({d["stream_id"] for d in self.documents if d["division_code"].startswith(prefix)})])

    def find(self, query, _fields=None):
        self.sent.append(query)
        wanted = set(query.get("stream_id", {}).get("$in", [d["stream_id"] for d in self.documents]))
        return Cursor([d for d in self.documents if d["stream_id"] in wanted])

    async def distinct(self, *_):
        raise AssertionError("distinct answers in one document: capped at 16 MB")


def test_the_streams_of_a_large_division_are_read_in_bounded_chunks():
    at = datetime(2026, 10, 1, tzinfo=timezone.utc)
    documents = [{"stream_id": f"person-{n:07d}", "version": 1, "division_code": "532503001", "recorded_at": at}
                 for n in range(STREAM_CHUNK * 3 + 7)]
    documents += [{"stream_id": "person-moved", "version": 1, "division_code": "532503001", "recorded_at": at},
                  {"stream_id": "person-moved", "version": 2, "division_code": "532503002", "recorded_at": at}]
    archive = Archive(documents)

    grouped = asyncio.run(records_as_of(archive, at, "532503001", ["Person"]))

    assert len(grouped) == STREAM_CHUNK * 3 + 7 and "person-moved" not in grouped  # moved out: counted there
    pipeline = archive.sent[0]
    assert [next(iter(stage)) for stage in pipeline] == ["$match", "$group", "$sort"]
    chunks = [query["stream_id"]["$in"] for query in archive.sent[1:]]
    assert len(chunks) == 4 and max(map(len, chunks)) <= STREAM_CHUNK


def test_the_pipeline_names_no_stream():
    pipeline = views.touched_streams_pipeline({"recorded_at": {"$lte": 1}}, "5325")
    assert "stream_id" not in str(pipeline[0]) and pipeline[1] == {"$group": {"_id": "$stream_id"}}
