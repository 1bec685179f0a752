"""The provincial exchange's mapping tables and rows (docs/EXCHANGE.md): the shipped example loads, a feed
message becomes the target standard's row (names, codes, formats), a bad mapping file is refused naming its
table, column and rule, and the reconciliation names the keys that differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.feeds import PERSON_EXAMPLE, FeedMessage
from services.exchange.connector import connector_config
from services.exchange.mapping import EXAMPLE, MappingError, load
from services.exchange.reconcile import compare
from services.exchange.records import connect_key, connect_value, target_row
from services.exchange.settings import ExchangeSettings

AT = 1764806400000  # 2025-12-04 00:00 UTC = 08:00 in Asia/Shanghai


def test_the_example_maps_persons_houses_and_units():
    mapping = load()
    assert [(t.entity.value, t.table, t.key) for t in mapping.tables] == [
        ("person", "t_syrk", "rybh"), ("house", "t_syfw", "fwbh"), ("unit", "t_sydw", "dwbh")]


def test_a_person_becomes_the_standards_row():
    mapping = load()
    table = mapping.for_entity("person")
    row = target_row(mapping, table, FeedMessage(**PERSON_EXAMPLE), AT)
    assert row["rybh"] == PERSON_EXAMPLE["record_id"]
    assert (row["rylb"], row["xb"], row["csrq"], row["gxdw"], row["zt"], row["bbh"], row["gxsj"]) == (
        "30", "1", "19920815", "532503001", "1", 3, "20251204080000")
    assert row["mz"] is None  # nothing in ybss: null, not an empty string


def test_a_value_outside_the_code_table_is_null_and_the_schema_keeps_it_mandatory():
    mapping = load()
    table = mapping.for_entity("person")
    message = FeedMessage(**{**PERSON_EXAMPLE, "state": {**PERSON_EXAMPLE["state"], "sex": "unknown"}})
    row = target_row(mapping, table, message, AT)
    assert row["xb"] is None
    fields = {f["field"]: f for f in connect_value(table, row)["schema"]["fields"]}
    assert fields["xb"]["optional"] is False and fields["mz"]["optional"] is True
    assert connect_key(table, row)["payload"] == {"rybh": PERSON_EXAMPLE["record_id"]}


def test_a_house_without_a_status_is_active():
    mapping = load()
    message = FeedMessage(entity="house", record_id="H-1", version=1, context="house",
                          state={"address_code": "5325030010010001", "use": "rented", "key_house": True})
    row = target_row(mapping, mapping.for_entity("house"), message, AT)
    assert (row["zt"], row["fwyt"], row["zdfw"]) == ("1", "20", "1")


def test_a_string_is_cut_to_the_elements_length():
    mapping = load()
    table = mapping.for_entity("unit")
    message = FeedMessage(entity="unit", record_id="U-1", version=1, context="unit",
                          state={"name": "店" * 300, "industry_code": "F52110"})
    row = target_row(mapping, table, message, AT)
    assert len(row["dwmc"]) == 200 and row["hydm"] == "F5211"


@pytest.mark.parametrize(("change", "named"), [
    ('source = "sex", type = "string", codes = "sex"', None),
    ('source = "sex", type = "text"', r"tables\.person\.columns\[xb\]\.type"),
    ('source = "sex", codes = "nowhere"', r"tables\.person\.columns\[xb\]\.codes"),
    ('source = "$when"', r"tables\.person\.columns\[xb\]\.source"),
    ('source = "sex", colour = "red"', r"tables\.person\.columns\[xb\]: .*colour"),
])
def test_a_bad_mapping_file_names_the_table_column_and_rule(tmp_path: Path, change, named):
    text = EXAMPLE.read_text(encoding="utf-8").replace('source = "sex", type = "string", codes = "sex"', change)
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    if named is None:
        load(path)
        return
    with pytest.raises(MappingError, match=named):
        load(path)


def test_the_key_must_be_a_column(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace('key = "rybh"', 'key = "sfzh"'), encoding="utf-8")
    with pytest.raises(MappingError, match="tables.person.key"):
        load(path)


def test_reconciliation_names_the_differing_keys_per_division():
    table = load().for_entity("person")
    a = {"rybh": "P-1", "gxdw": "532503001", "xm": "甲"}
    b = {"rybh": "P-2", "gxdw": "532503001", "xm": "乙"}
    c = {"rybh": "P-3", "gxdw": "532503002", "xm": "丙"}
    same = compare(table, [a, b, c], [b, a, c])
    assert [d["matches"] for d in same] == [True, True]
    assert same[0]["ybss"] == same[0]["target"] and same[0]["ybss"]["count"] == 2
    changed = compare(table, [a, b, c], [{**a, "xm": "丁"}, c])
    assert changed[0]["differing_keys"] == ["P-1", "P-2"] and changed[0]["target"]["count"] == 1
    assert changed[1]["matches"]


def test_the_connector_upserts_on_the_record_key_with_a_dead_letter_topic():
    config = connector_config(load(), ExchangeSettings(), "ybss")
    assert config["insert.mode"] == "upsert" and config["primary.key.mode"] == "record_key"
    assert config["topics"] == ("ybss.exchange.province.t_syrk,ybss.exchange.province.t_syfw,"
                                "ybss.exchange.province.t_sydw")
    assert config["errors.deadletterqueue.topic.name"] == "ybss.exchange.dead-letters.province"
    assert config["connection.url"] == "jdbc:postgresql://127.0.0.1:5433/province"


def test_the_mapper_skips_a_state_older_than_the_row_and_writes_a_republish_again():
    from aiokafka import ConsumerRecord

    from services.exchange.relay import ProvinceRelay
    from services.kernel.base.settings import Settings

    relay = ProvinceRelay(load(), Settings(namespace="ybss"))

    def record(version: int) -> ConsumerRecord:
        value = FeedMessage(**{**PERSON_EXAMPLE, "version": version}).model_dump_json().encode()
        return ConsumerRecord("ybss.feed.person.provincial-exchange", 0, version, AT, 0, b"k", value, None, 0,
                              len(value), [])

    assert relay._out(record(3)) is not None
    assert relay._out(record(2)) is None and relay.stale == 1  # a stale state after a hand-over
    assert relay._out(record(3)) is not None  # a replay republishes the same version: harmless, written again


def test_the_example_code_tables_cover_every_ybss_code():
    """A ybss code missing from a code table would make every such record a dead letter: caught here instead."""
    from contracts.house import HOUSE_USES, PROPERTY_NATURES
    from contracts.identity import DocumentType
    from contracts.person import Category
    from contracts.unit import UNIT_TYPES

    codes = load().codes
    assert set(codes["person_category"]) == {c.value for c in Category}
    assert set(codes["document_type"]) == {d.value for d in DocumentType}
    assert set(codes["house_use"]) == set(HOUSE_USES)
    assert set(codes["property_nature"]) == set(PROPERTY_NATURES)
    assert set(codes["unit_type"]) == set(UNIT_TYPES)
    assert set(codes["sex"]) == {"male", "female"}
