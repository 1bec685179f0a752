"""The batch's memory of documents follows only writes it can follow exactly (the integration test compares it
with the server: tests/integration/test_known_documents.py)."""

from __future__ import annotations

from pymongo import ReplaceOne, UpdateOne

from services.kernel.messaging.known_documents import UNKNOWN, KnownDocuments, apply_update, project


def test_fields_are_applied_in_the_servers_order_and_subdocuments_copied():
    before = {"_id": 1, "z": 0, "person": {"status": "active"}}
    after = apply_update(before, {"$set": {"b": 1, "a": 2, "person.name": "李"}, "$push": {"steps": 1}}, False)
    assert list(after) == ["_id", "z", "person", "a", "b", "steps"], "new fields appended in lexicographic order"
    assert after["person"] == {"status": "active", "name": "李"} and before["person"] == {"status": "active"}


def test_what_cannot_be_followed_is_unknown():
    assert apply_update({"_id": 1}, {"$addToSet": {"a": 1}}, False) is UNKNOWN
    assert apply_update({"_id": 1, "a": [1]}, {"$set": {"a.0": 2}}, False) is UNKNOWN, "positional paths"
    assert apply_update({"_id": 1, "a": [{"b": 1}]}, {"$set": {"a.b": 2}}, False) is UNKNOWN, "through an array"
    assert project({"_id": 1, "a": [{"b": 1}]}, {"a.b": 1}) is UNKNOWN
    known = KnownDocuments()
    known.learn("persons", {1: {"_id": 1, "a": 1}})
    known.written("persons", UpdateOne({"_id": 1}, {"$rename": {"a": "b"}}))
    assert known.get("persons", 1) == (False, None), "forgotten, read from the server next"


def test_a_replacement_is_known_even_unread_and_a_projection_answers_as_the_server():
    known = KnownDocuments()
    known.written("persons", ReplaceOne({"_id": "P1"}, {"name": "李", "key_persons": {"K1": {"state": "listed"}}},
                                        upsert=True))
    assert known.get("persons", "P1", {"key_persons": 0}) == (True, {"_id": "P1", "name": "李"})
    assert known.get("persons", "P1", {"key_persons.K1": 1}) == (True, {"_id": "P1", "key_persons": {
        "K1": {"state": "listed"}}})
    assert known.get("persons", "P2") == (False, None)


def test_projections_of_the_id_alone():
    assert project({"_id": 1, "a": 2}, {"_id": 1}) == {"_id": 1}
    assert project({"_id": 1, "a": 2}, {"_id": 0}) == {"a": 2}
    assert project({"_id": 1, "a": 2}, {}) == {"_id": 1, "a": 2}
