"""The gate's header checks without Kafka: a row header is a row number or a rejection, never an exception (an
exception there rewound the gate's partition for ever, stalling every agency)."""

from __future__ import annotations

import pytest

from services.ingest.headers import MAX_ROW, BatchOwners, parse_row


@pytest.mark.parametrize("raw", [b"x", b"-1", b"1.5", "²".encode(), "٣".encode(), b"", str(MAX_ROW + 1).encode(),
                                 b"\xff\xfe"])
def test_a_malformed_row_header_is_a_reason_not_an_exception(raw):
    row, reasons = parse_row(raw)
    assert row is None and [reason.rule for reason in reasons] == ["header.row_invalid"]
    assert reasons[0].field == "header.row"


def test_a_row_number_is_read():
    assert parse_row(b" 42 ") == (42, []) and parse_row(None) == (None, [])


class Message:
    def __init__(self, **headers: bytes) -> None:
        self.headers = list(headers.items())


class Batches:
    """The batches collection as the owner check reads it."""

    def __init__(self, documents: dict[str, dict]) -> None:
        self.documents = documents

    async def find_one(self, query: dict, projection: dict) -> dict | None:
        return self.documents.get(query["_id"])


async def test_a_batch_of_another_agency_or_of_nobody_is_refused_and_not_kept():
    owners = BatchOwners({"batches": Batches({"B1": {"_id": "B1", "agency": "agency-b"}})})
    own = await owners.check("agency-b", Message(batch_id=b"B1", row=b"3"))
    assert (own.batch_id, own.row, own.reasons) == ("B1", 3, [])
    for batch in (b"B1", b"B-unknown", b"x" * 200):
        forged = await owners.check("agency-a", Message(batch_id=batch, row=b"0"))
        assert forged.batch_id is None and forged.row is None
        assert [reason.rule for reason in forged.reasons] == ["header.batch_not_yours"]
