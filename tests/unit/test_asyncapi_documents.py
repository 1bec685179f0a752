"""The AsyncAPI documents (contracts/asyncapi/*.json): current, complete, and valid to the AsyncAPI parser.

Validity is judged by the AsyncAPI initiative's own parser (@asyncapi/parser, pinned in package.json and
installed by the Makefile's install step), run by Node over every committed document.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contracts.events import registered_event_types
from contracts.feeds import REQUIRES, EntityKind, feed_topic
from services.kernel.base.settings import Settings
from services.kernel.messaging import asyncapi
from services.kernel.messaging.topics import project_topics

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "contracts" / "asyncapi" / "validate.mjs"
DOCUMENTS = sorted((ROOT / "contracts" / "asyncapi").glob("*.json"))


@pytest.fixture(scope="module")
def platform() -> dict:
    return json.loads(asyncapi.render())


def addresses(document: dict) -> set[str]:
    return {channel["address"] for channel in document["channels"].values()}


def test_the_committed_platform_document_is_current():
    assert asyncapi.OUT.read_text(encoding="utf-8") == asyncapi.render(), \
        "run `.venv/bin/python -m services.kernel.messaging.asyncapi`"


def test_every_topic_of_the_contexts_is_a_channel(platform):
    assert platform["asyncapi"] == "3.0.0"
    missing = set(project_topics(Settings(namespace="ybss"))) - addresses(platform)
    assert not missing, f"topics of contracts/contexts.py without a channel: {sorted(missing)}"


def test_the_ingest_topics_and_every_feed_are_channels(platform):
    assert {"ybss.ingest.{agency}", "ybss.ingest.{agency}.replies"} <= addresses(platform)
    feeds = {feed_topic(kind.value, "ybss", "{subscriber}") for kind in EntityKind}
    feeds |= {feed_topic(kind.value) for kind in EntityKind if kind not in REQUIRES}
    assert feeds <= addresses(platform) and "ybss.feed.person" in feeds
    assert "ybss.feed.key_person" not in addresses(platform), "who is a key person travels only to those granted it"
    for channel in platform["channels"].values():  # every {part} of an address is a declared parameter
        assert set(channel.get("parameters", {})) == set(re.findall(r"\{(\w+)\}", channel["address"])), channel


def test_every_published_event_travels_on_a_channel(platform):
    schemas = platform["components"]["schemas"]
    published = {name for name, cls in registered_event_types().items() if cls.__module__.startswith("contracts.")}
    unmapped = {name for name in published if f"{name}Envelope" not in schemas}
    assert not unmapped, f"events on no channel of the AsyncAPI document: {sorted(unmapped)}"
    person_events = {ref["$ref"].rsplit("/", 1)[1] for ref in schemas["person-events:Message:Payload"]["oneOf"]}
    assert "HotelStayRecordedEnvelope" in person_events, "re-exported by contracts.person: on its events topic"
    assert "KeyPersonAlertRaisedEnvelope" not in person_events, "alerts have their own topic"
    alerts = schemas["person-alerts:Message:Payload"]
    assert alerts["discriminator"] == "event_type" and len(alerts["oneOf"]) == 5
    raised = schemas["KeyPersonAlertRaisedEnvelope"]["properties"]
    assert raised["event_type"]["const"] == "KeyPersonAlertRaised"
    assert raised["payload"]["$ref"] == "#/components/schemas/KeyPersonAlertRaised"


def test_an_extra_topic_without_a_message_contract_is_refused():
    from faststream.kafka import KafkaBroker

    with pytest.raises(LookupError, match="ybss.person.sightings"):
        asyncapi.declare_extra_topic(KafkaBroker("kafka:9092"), "person", "sightings", "ybss")


def test_the_asyncapi_parser_finds_no_error_in_any_document():
    assert len(DOCUMENTS) >= 2 and asyncapi.OUT in DOCUMENTS
    node = shutil.which("node")
    assert node, "Node.js is needed to run the AsyncAPI parser"
    assert (ROOT / "node_modules" / "@asyncapi" / "parser").is_dir(), "run `make venv` (npm ci installs the parser)"
    run = subprocess.run([node, str(VALIDATOR), *map(str, DOCUMENTS)], capture_output=True, text=True, timeout=240)
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert [Path(result["file"]) for result in results] == DOCUMENTS, run.stderr
    for result in results:
        assert result["parsed"] and result["errors"] == [], result
    assert run.returncode == 0, run.stderr
    by_file = {Path(result["file"]).name: result["channels"] for result in results}
    assert by_file["platform.json"] == len(json.loads(asyncapi.render())["channels"])


def test_the_parser_reports_a_broken_document(tmp_path):
    """The check can fail: an operation pointing at a channel that does not exist is an error to the parser."""
    broken = json.loads(asyncapi.render())
    next(iter(broken["operations"].values()))["channel"] = {"$ref": "#/channels/nowhere"}
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    run = subprocess.run([shutil.which("node"), str(VALIDATOR), str(tmp_path / "broken.json")],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 1 and json.loads(run.stdout)["errors"]


def test_the_kafka_bindings_say_how_each_topic_is_kept_and_keyed(platform):
    """What a subscriber relies on beyond the payload: feeds compacted and keyed by record id, events kept forever."""
    channels = {channel["address"]: channel for channel in platform["channels"].values()}

    def key_of(address: str) -> str:
        reference = next(iter(channels[address]["messages"].values()))["$ref"].rsplit("/", 1)[1]
        return platform["components"]["messages"][reference]["bindings"]["kafka"]["key"]["description"]

    feed = channels["ybss.feed.person"]["bindings"]["kafka"]
    assert feed["topicConfiguration"]["cleanup.policy"] == ["compact"] and "record_id" in key_of("ybss.feed.person")
    events = channels["ybss.person.events"]["bindings"]["kafka"]["topicConfiguration"]
    assert events == {"cleanup.policy": ["delete"], "retention.ms": -1, "retention.bytes": -1}
    assert key_of("ybss.person.events").startswith("Kafka key (UTF-8): stream_id")
    assert "record_id" in key_of("ybss.ingest.{agency}")
