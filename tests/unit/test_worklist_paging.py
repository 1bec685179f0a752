"""The worklist kernel's pure parts: the opaque cursor, the keyset filter, rows laid out for a file."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest

from services.kernel.base.errors import DomainRuleViolation
from services.kernel.web.exports import Columns, csv_cell, csv_lines, flatten, xlsx_cell
from services.kernel.web.paging import Position, decode_cursor, encode_cursor, keyset_after


def test_a_cursor_round_trips_its_position_with_types_kept():
    moment = datetime(2026, 11, 27, 8, 30, 1, 123000, tzinfo=timezone.utc)
    position = Position(1, [moment, "P-0190"], 2, 2345)
    back = decode_cursor(encode_cursor(position), segments=2, keys_per_segment=[1, 2])
    assert back.segment == 1 and back.index == 2 and back.total == 2345
    assert back.keys[1] == "P-0190" and back.keys[0].replace(tzinfo=timezone.utc) == moment
    assert "=" not in encode_cursor(position), "base64url without padding travels in a query string as it is"


@pytest.mark.parametrize("cursor", [
    "!!!", "e30",  # not base64; {}
    base64.urlsafe_b64encode(b'{"s": 3, "k": ["a"], "i": 0}').decode(),  # a segment the list does not have
    base64.urlsafe_b64encode(b'{"s": 0, "k": ["a", "b"], "i": 0}').decode(),  # a sort key of another list
    base64.urlsafe_b64encode(b'{"s": 0, "k": ["a"], "i": -1}').decode(),
    base64.urlsafe_b64encode(b'{"s": 0, "k": ["a"], "i": 0, "x": 1}').decode(),
    base64.urlsafe_b64encode(b'[1, 2]').decode(),
])
def test_a_bad_cursor_is_a_rule_violation_naming_cursor(cursor):
    with pytest.raises(DomainRuleViolation) as raised:
        decode_cursor(cursor, segments=1, keys_per_segment=[1])
    detail = raised.value.as_detail()
    assert detail["loc"] == ["query", "cursor"] and detail["type"] == "cursor.invalid" and detail["msg_zh"]


def test_the_keyset_filter_resumes_at_the_document_in_either_direction():
    assert keyset_after((("_id", 1),), ["P-5"]) == {"_id": {"$gte": "P-5"}}
    assert keyset_after((("raised_at", -1), ("_id", 1)), ["t", "A-1"]) == {"$or": [
        {"raised_at": {"$lt": "t"}}, {"raised_at": "t", "_id": {"$gte": "A-1"}}]}


def test_a_nested_item_is_one_row_under_a_header_from_the_first_items():
    row = flatten({"person_id": "P-1", "person": {"name": "张三", "phones": ["+8613800138000", "+8613900139000"]},
                   "rentals": [{"rental_id": "R1"}], "at": datetime(2026, 1, 2, tzinfo=timezone.utc), "n": 3})
    assert row == {"person_id": "P-1", "person.name": "张三", "person.phones": "+8613800138000; +8613900139000",
                   "rentals": '[{"rental_id": "R1"}]', "at": "2026-01-02T00:00:00+00:00", "n": 3}
    columns = Columns([{"a": 1}, {"a": 2, "b": "x"}])
    assert columns.names == ["a", "b", "more"]
    assert columns.cells({"a": 3, "c": "late"}) == [3, None, '{"c": "late"}'], "a field seen late is kept"


def test_a_csv_cell_is_never_a_formula():
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_cell("+86138") == "'+86138"
    assert csv_cell(None) == "" and csv_cell(5) == 5
    assert csv_lines([["a", None, 1]]) == b"a,,1\r\n"


def test_an_xlsx_cell_over_excels_limit_is_cut_and_says_so():
    cut = xlsx_cell("字" * 40_000)
    assert len(cut) == 32_767 and cut.endswith("…(截断)") and xlsx_cell(None) == "" and xlsx_cell(3) == 3
