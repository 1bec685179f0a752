"""Integration feeds, pure: the message shape, masking per grant, subscribers as configuration, the sources table."""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from contracts.envelope import Actor, EventEnvelope
from contracts.feeds import PERSON_EXAMPLE, DataClass, EntityKind, FeedMessage, feed_group, feed_topic
from services.feeds.publisher import changed_records
from services.feeds.sources import SOURCES, sources_of
from services.feeds.states import feed_message
from services.feeds.subscribers import SHIPPED, Subscriber, load, publications, topics_of

PERSON = sources_of("person")[0]
HOUSE = sources_of("house")[0]
NUMBER, PHONE = "53250319900307121X", "+8613800138000"
PERSON_DOC = {"_id": "P-1", "_version": 4, "_registered_at": "x", "category": "registered", "name": "张丽",
              "document_number": NUMBER, "document_number_reversed": NUMBER[::-1], "phone": PHONE,
              "division_code": "532503001", "status": "active"}
HOUSE_DOC = {"_id": "H-1", "_version": 7, "address_code": "5325030010001", "division_code": "532503001",
             "owner": {"name": "赵强", "document_number": NUMBER},
             "rentals": [{"rental_id": "R-1", "tenants": [{"person_id": "P-1", "name": "王建国", "phone": PHONE}]}]}
FULL = frozenset(DataClass)


def test_topic_names_follow_the_namespace_and_the_subscriber():
    assert feed_topic("person") == "ybss.feed.person"
    assert feed_topic("doorplate", "t1") == "t1.feed.doorplate"
    assert feed_topic("person", "ybss", "provincial-exchange") == "ybss.feed.person.provincial-exchange"
    assert feed_group("mz-health") == "ybss.feed-subscriber.mz-health"
    with pytest.raises(ValueError):
        feed_topic("rental")


def test_the_example_is_a_message_and_unknown_fields_are_refused():
    message = FeedMessage.model_validate(PERSON_EXAMPLE)
    assert message.key() == PERSON_EXAMPLE["record_id"].encode() and message.schema_version == 1
    with pytest.raises(ValidationError, match="published_at"):
        FeedMessage.model_validate({**PERSON_EXAMPLE, "published_at": "now"})
    with pytest.raises(ValidationError, match="version"):
        FeedMessage.model_validate({**PERSON_EXAMPLE, "version": 0})


def test_a_person_under_the_default_grant_shows_no_number_phone_or_name_whole():
    message = feed_message(PERSON, "person", PERSON_DOC, frozenset())
    assert (message.entity, message.record_id, message.version, message.grant) == ("person", "P-1", 4, [])
    state = message.state
    assert state["person_id"] == "P-1" and state["category"] == "registered"
    assert state["document_number"] == "5325**********121X" and state["phone"] == "+86138****8000"
    assert state["name"] == "张*"
    assert not any(key.startswith("_") for key in state) and "document_number_reversed" not in state


def test_a_narrower_grant_masks_what_it_does_not_name():
    named = feed_message(PERSON, "person", PERSON_DOC, frozenset({DataClass.NAME})).state
    assert named["name"] == "张丽" and named["document_number"] == "5325**********121X"
    full = feed_message(PERSON, "person", PERSON_DOC, FULL)
    assert full.state["document_number"] == NUMBER and full.state["phone"] == PHONE
    assert full.grant == sorted(FULL)


def test_a_house_masks_its_owner_and_tenants_by_the_grant():
    shared = feed_message(HOUSE, "house", HOUSE_DOC, frozenset()).state
    assert shared["house_id"] == "H-1" and shared["owner"]["name"] == "赵*"
    assert shared["owner"]["document_number"] == "5325**********121X"
    tenant = shared["rentals"][0]["tenants"][0]
    assert tenant["name"] == "王**" and tenant["phone"] == "+86138****8000" and tenant["person_id"] == "P-1"
    assert feed_message(HOUSE, "house", HOUSE_DOC, FULL).state["owner"]["name"] == "赵强"


def test_the_same_document_makes_the_same_message():
    assert feed_message(HOUSE, "house", HOUSE_DOC, frozenset()) == feed_message(HOUSE, "house", dict(HOUSE_DOC),
                                                                               frozenset())


def test_key_persons_have_no_shared_topic_and_need_their_class():
    with pytest.raises(ValidationError, match="key_person"):
        Subscriber(id="nosy", name="x", entity_kinds=["key_person"], data_classes=["name"])
    province = Subscriber(id="prov", name="省", entity_kinds=["key_person", "person"], data_classes=list(DataClass))
    assert [p.topic for p in publications(EntityKind.KEY_PERSON, [province])] == ["ybss.feed.key_person.prov"]
    assert [p.topic for p in publications(EntityKind.PERSON, [province])] == ["ybss.feed.person",
                                                                              "ybss.feed.person.prov"]


def test_a_subscriber_granted_nothing_more_reads_the_shared_topics():
    civil = Subscriber(id="civil", name="民政", entity_kinds=["doorplate", "place"])
    assert civil.topics("t1") == ["t1.feed.doorplate", "t1.feed.place"]
    assert [p.topic for p in publications(EntityKind.DOORPLATE, [civil])] == ["ybss.feed.doorplate"]
    health = Subscriber(id="health", name="卫健", entity_kinds=["person"], data_classes=["name"])
    assert health.topics() == ["ybss.feed.person.health"]


def test_the_shipped_subscribers_load_and_ids_are_unique(tmp_path):
    shipped = load(SHIPPED)
    assert {"provincial-exchange", "mz-civil-affairs", "mz-health"} <= {s.id for s in shipped}
    assert "ybss.feed.key_person.provincial-exchange" in topics_of("person", shipped)
    twice = tmp_path / "twice.json"
    entry = {"id": "a-b", "name": "x", "entity_kinds": ["place"]}
    twice.write_text(json.dumps({"subscribers": [entry, entry]}))
    with pytest.raises(ValueError, match="twice"):
        load(twice)


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.entity.value)
def test_every_source_is_a_registry_its_context_runs(source):
    from contracts.feeds import OWNERS

    spec = importlib.import_module(f"services.{OWNERS[source.entity]}.app").SPEC
    projection = {projection.name: projection for projection in spec.projections}[source.projection]
    assert source.collection in projection.collections


def _event(stream_type: str, version: int, **payload) -> SimpleNamespace:
    envelope = EventEnvelope(event_type="Anything", stream_id=f"s-{stream_type}", stream_type=stream_type,
                             version=version, actor=Actor(id="PC-1", role="police", organisation_code="532503"),
                             correlation_id="c", payload=payload)
    return SimpleNamespace(value=envelope.model_dump_json().encode(), topic="t", offset=version)


def test_a_record_changed_twice_in_a_poll_is_published_once_at_its_latest_version():
    messages = [_event("Person", 1, person_id="P-1"), _event("Person", 2, person_id="P-1"),
                _event("KeyPerson", 1, key_person_id="K-1"), _event("Household", 3, person_id="P-9"),
                SimpleNamespace(value=b"not json", topic="t", offset=99)]
    changed = changed_records(messages, {source.stream_type: source for source in sources_of("person")})
    assert {(source.entity.value, record): version for (source, record), version in changed.items()} == {
        ("person", "P-1"): 2, ("key_person", "K-1"): 1}


@pytest.mark.parametrize("mechanism, kind", [("SCRAM-SHA-512", "SASLScram512"), ("PLAIN", "SASLPlaintext")])
def test_the_feed_broker_uses_the_services_kafka_credentials(mechanism, kind):
    """The manifests give every service SCRAM credentials (deploy/k8s): the feeds' FastStream broker takes them."""
    from services.feeds.broker import security
    from services.kernel.base.settings import Settings

    settings = Settings(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_SASL_MECHANISM=mechanism,
                        KAFKA_SASL_USERNAME="ybss-person", KAFKA_SASL_PASSWORD="secret")
    chosen = security(settings)
    assert type(chosen).__name__ == kind and chosen.username == "ybss-person" and not chosen.use_ssl
    assert security(Settings()) is None


class _Admin:
    """Committed offsets of registry groups, as Kafka answers them (moving on after ``moves`` asks)."""

    def __init__(self, committed: dict[str, int], moves: int = 0) -> None:
        self.committed, self.moves, self.asked = committed, moves, 0

    async def list_consumer_group_offsets(self, group, partitions):
        self.asked += 1
        offset = self.committed[group] + (10 if self.asked > self.moves else 0)
        return {tp: SimpleNamespace(offset=offset) for tp in partitions}


async def test_the_feed_waits_for_the_registry_to_pass_the_poll_not_for_a_version_that_will_not_come():
    """A parked stream never reaches its version: the registry's committed offset past the poll ends the wait."""
    from aiokafka import TopicPartition

    from services.feeds.publisher import registry_settled

    tp = TopicPartition("t.person.events", 0)
    behind = _Admin({"t.person-registry.g1": 41}, moves=3)
    assert await registry_settled(behind, {"t.person-registry.g1"}, {tp: 45}, wait_seconds=30)
    assert behind.asked == 4, "asked again until the registry passed the poll's last event"
    stuck = _Admin({"t.person-registry.g1": -11}, moves=10**6)
    assert not await registry_settled(stuck, {"t.person-registry.g1"}, {tp: 45}, wait_seconds=0.3)
