"""deploy/k8s renders, validates strictly against Kubernetes' and the operators' schemas, and follows the registry
of contexts: a context or projection added to contracts/contexts.py cannot be missing from the cluster."""

from __future__ import annotations

import pytest

from contracts.contexts import CONTEXTS
from contracts.topics import access_log_topic, context_topic, dead_letter_topic, events_topic
from tests.deploy.objects import config_map, containers, env, named, of_kind

NS = "ybss"


def test_generated_manifests_equal_what_the_registry_generates_now(run_tool):
    result = run_tool("generate.py", "--check")
    assert result.returncode == 0, f"deploy/k8s/base/generated is stale:\n{result.stdout[-4000:]}{result.stderr}"


def test_every_overlay_renders_and_every_object_validates_strictly(run_tool, k8s_tools):
    result = run_tool("validate.py", "--kustomize", k8s_tools["KUSTOMIZE"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "local:" in result.stdout and "production:" in result.stdout


def test_every_context_has_its_deployment_service_budget_autoscaler_user_and_topics(production):
    deployments, services = named(production, "Deployment"), named(production, "Service")
    budgets, autoscalers = named(production, "PodDisruptionBudget"), named(production, "HorizontalPodAutoscaler")
    users = named(production, "KafkaUser")
    topics = {topic["spec"]["topicName"] for topic in of_kind(production, "KafkaTopic")}
    mongo_users = {user["name"] for user in named(production, "PerconaServerMongoDB")["ybss-mongo"]["spec"]["users"]}
    for context in CONTEXTS:
        name = f"ybss-{context.name}"
        assert {name} <= deployments.keys() & services.keys() & budgets.keys() & autoscalers.keys() & users.keys(), \
            f"{context.name} lacks one of Deployment, Service, PodDisruptionBudget, HPA, KafkaUser"
        assert name in mongo_users, f"{context.name} has no MongoDB user"
        container = containers(deployments[name])[0]
        assert container["args"] == [context.name], "the one image is told which context to serve"
        assert container["ports"][0]["containerPort"] == context.port == services[name]["spec"]["ports"][0]["port"]
        assert env(container)["YBSS_PORT"]["value"] == str(context.port)
        assert events_topic(context.name, NS) in topics
        for suffix in context.extra_topics:
            assert context_topic(context.name, suffix, NS) in topics
        for projection in context.projections:
            assert dead_letter_topic(projection, NS) in topics, f"no dead-letter topic for {projection}"
    assert access_log_topic(NS) in topics
    assert len(deployments) == len(CONTEXTS), "a Deployment for a context the registry does not know"


def ingest_flows(context) -> set[str]:
    """The topics agency ingestion adds to a context: the gate (ingest) reads the agencies' topics and writes the
    registries' hand-off topics and the agencies' replies; a registry with a hand-off topic writes the replies."""
    import json

    from tests.deploy.conftest import REPO

    agencies = [a["id"] for a in json.loads((REPO / "services/ingest/agencies.json").read_text())["agencies"]]
    replies = {f"{NS}.ingest.{agency}.replies" for agency in agencies}
    replies.add(f"{NS}.ingest.declarations.replies")  # the registries' answers to verified declarations (信息申报)
    if context.name == "ingest":
        return replies | {f"{NS}.ingest.{agency}" for agency in agencies} | {
            context_topic(c.name, "ingest", NS) for c in CONTEXTS if "ingest" in c.extra_topics}
    return replies if "ingest" in context.extra_topics else set()


def test_kafka_users_write_only_their_own_topics_and_read_only_what_they_consume(production):
    users = named(production, "KafkaUser")
    for context in CONTEXTS:
        acls = users[f"ybss-{context.name}"]["spec"]["authorization"]["acls"]
        writes = {acl["resource"]["name"] for acl in acls if "Write" in acl["operations"]}
        reads = {acl["resource"]["name"] for acl in acls if "Read" in acl["operations"]
                 and acl["resource"]["type"] == "topic"}
        own = {events_topic(context.name, NS), access_log_topic(NS),
               *(context_topic(context.name, suffix, NS) for suffix in context.extra_topics),
               *(dead_letter_topic(projection, NS) for projection in context.projections)}
        own |= ingest_flows(context)  # agency ingestion crosses contexts by design (docs/INGEST.md)
        own |= set(feed_topics(context))  # its registry's integration feeds (docs/FEEDS.md)
        assert writes == own, f"{context.name} may write {sorted(writes - own)} beyond its own topics"
        consumed = {events_topic(name, NS) for name in (context.name, *context.consumes)}
        if context.reads_access_log:
            consumed.add(access_log_topic(NS))
        assert consumed <= reads, f"{context.name} cannot read {sorted(consumed - reads)}"
        assert reads <= consumed | own, f"{context.name} may read {sorted(reads - consumed - own)}"
        assert all(acl["resource"].get("patternType") == "literal" for acl in acls
                   if {"Read", "Write"} & set(acl["operations"]) and acl["resource"]["type"] == "topic"), \
            "read and write grants name exact topics, never a prefix"
        groups = {acl["resource"]["name"] for acl in acls if acl["resource"]["type"] == "group"}
        ingest_groups = {"ingest": {f"{NS}.ingest-gate", f"{NS}.ingest-batches", f"{NS}.ingest-ingest",
                                    f"{NS}.ingest-declaration-handover", f"{NS}.ingest-declaration-answers"}}.get(
            context.name, {f"{NS}.{context.name}-ingest"} if "ingest" in context.extra_topics else set())
        feed_groups = {f"{NS}.{context.name}-feed"} if feed_topics(context) else set()
        assert groups == {f"{NS}.{projection}." for projection in context.projections} | ingest_groups | feed_groups


def feed_topics(context) -> list[str]:
    from services.feeds.subscribers import SHIPPED, load, topics_of

    return topics_of(context.name, load(SHIPPED), NS)


def test_feeds_are_compacted_topics_each_subscriber_reads_only_its_own_with_its_own_group(production):
    """Integration feeds (docs/FEEDS.md): compacted, written by the owning registry, read by a subscriber's user."""
    from contracts.feeds import feed_group
    from services.feeds.subscribers import SHIPPED, load

    topics = {t["spec"]["topicName"]: t for t in of_kind(production, "KafkaTopic")}
    feeds = [name for context in CONTEXTS for name in feed_topics(context)]
    assert f"{NS}.feed.person" in feeds and f"{NS}.feed.doorplate" in feeds
    for name in feeds:
        assert topics[name]["spec"]["config"]["cleanup.policy"] == "compact", name
    users = named(production, "KafkaUser")
    for subscriber in load(SHIPPED):
        acls = users[f"ybss-feed-{subscriber.id}"]["spec"]["authorization"]["acls"]
        assert {acl["resource"]["name"] for acl in acls if acl["resource"]["type"] == "topic"} == set(
            subscriber.topics(NS))
        assert all("Write" not in acl["operations"] for acl in acls)
        assert [acl["resource"]["name"] for acl in acls if acl["resource"]["type"] == "group"] == [
            feed_group(subscriber.id, NS)]


def test_the_config_names_only_settings_the_services_read(production):
    """A misspelt variable is silently ignored by pydantic-settings: every YBSS_ name the manifests set must be a
    field of one of the settings classes (or one serve.py reads)."""
    from services.address.config import AddressSettings
    from services.ingest.config import IngestSettings
    from services.kernel.base.settings import Settings

    known = {"YBSS_HOST", "YBSS_PORT", "YBSS_GRACEFUL_SHUTDOWN_SECONDS"}  # services/kernel/operations/serve.py
    for settings in (Settings, IngestSettings, AddressSettings):
        prefix = settings.model_config.get("env_prefix", "")
        known |= {f"{prefix}{name}".upper() for name in settings.model_fields}
    keys = {key for key in config_map(production) if key.startswith("YBSS_")}
    keys |= {name for d in of_kind(production, "Deployment") for name in env(containers(d)[0]) if name.startswith("YBSS_")}
    assert keys <= known, f"set by the manifests, read by no service: {sorted(keys - known)}"


def test_the_services_read_the_kafka_credentials_the_manifests_give_them(production):
    from services.kernel.base.settings import Settings

    read = {f"YBSS_{name.upper()}" for name in Settings.model_fields}
    read |= {field.validation_alias for field in Settings.model_fields.values() if field.validation_alias}
    given = {key for key in config_map(production) if key.startswith("KAFKA_")}
    given |= {name for d in of_kind(production, "Deployment") for name in env(containers(d)[0]) if name.startswith("KAFKA_")}
    assert given <= read, f"set by the manifests, read by no service: {sorted(given - read)}"


def test_vendored_crd_schemas_equal_what_the_pinned_crds_convert_to(run_tool, tmp_path):
    from tests.deploy.conftest import K8S, REPO

    if not (REPO.parent / "shared" / "k8s-crds" / "strimzi").is_dir():
        pytest.skip("the Strimzi CRDs come from ../shared/k8s-crds (present on developer machines and in CI)")
    result = run_tool("schemas/regenerate.py", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    vendored = {path.name: path.read_text() for path in (K8S / "schemas").glob("*.json")}
    fresh = {path.name: path.read_text() for path in tmp_path.glob("*.json")}
    assert vendored.keys() == fresh.keys()
    stale = [name for name in fresh if fresh[name] != vendored[name]]
    assert not stale, f"deploy/k8s/schemas differ from the pinned CRDs: {stale}; run `make k8s-schemas`"
