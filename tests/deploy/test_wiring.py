"""The rendered objects fit together (wiring.py), and each check fails when the manifests are broken on purpose:
the mistakes a review planted in a copy of the manifests and the schema validation missed."""

from __future__ import annotations

import copy

import pytest

from tests.deploy import wiring
from tests.deploy.cluster import cluster, platform_settings
from tests.deploy.conftest import K8S, PROMTOOL_BUILD_SECONDS
from tests.deploy.objects import containers, env, named, pod_spec

OVERLAYS = ["production", "local"]


@pytest.fixture(params=OVERLAYS)
def rendered(request) -> list[dict]:
    return request.getfixturevalue(request.param)


@pytest.fixture
def broken(production) -> list[dict]:
    """A copy of the production overlay to break; the session's rendering stays intact."""
    return copy.deepcopy(production)


@pytest.fixture(scope="session")
def shapes(k8s_tools) -> dict:
    import yaml

    return yaml.safe_load((K8S / "base" / "generated" / "secret-shapes.yaml").read_text())


def deployment(documents: list[dict], context: str) -> dict:
    return named(documents, "Deployment")[f"ybss-{context}"]


def assert_found(problems: list[str], *words: str) -> None:
    assert any(all(word in problem for word in words) for problem in problems), \
        f"no problem naming {words}; found {problems}"


# --- every Service selects pods -------------------------------------------------------------------------------------

def test_every_service_selects_pods(rendered):
    assert wiring.services_without_pods(cluster(rendered)) == []


def test_a_service_selector_matching_no_pod_is_found(broken):
    named(broken, "Service")["ybss-person"]["spec"]["selector"]["app.kubernetes.io/name"] = "ybss-persons"
    assert_found(wiring.services_without_pods(cluster(broken)), "Service/ybss-person", "selects no pod")


# --- every port named exists on the pods ------------------------------------------------------------------------------

def test_every_port_a_service_probe_monitor_or_policy_names_exists(rendered):
    assert wiring.missing_ports(cluster(rendered)) == []


def test_a_service_target_port_missing_on_the_pod_is_found(broken):
    named(broken, "Service")["ybss-house"]["spec"]["ports"][0]["targetPort"] = "web"
    assert_found(wiring.missing_ports(cluster(broken)), "Service/ybss-house", "'web'")


def test_a_readiness_probe_on_the_wrong_port_is_found(broken):
    containers(deployment(broken, "unit"))[0]["readinessProbe"]["httpGet"]["port"] = 8080
    assert_found(wiring.missing_ports(cluster(broken)), "Deployment/ybss-unit", "readinessProbe", "8080")


def test_a_service_monitor_on_a_port_that_does_not_exist_is_found(broken):
    named(broken, "ServiceMonitor")["ybss-services"]["spec"]["endpoints"][0]["port"] = "metrics"
    assert_found(wiring.missing_ports(cluster(broken)), "ServiceMonitor/ybss-services", "'metrics'")


def test_a_pod_monitor_on_a_port_the_broker_lacks_is_found(broken):
    named(broken, "PodMonitor")["ybss-kafka-brokers"]["spec"]["podMetricsEndpoints"][0]["port"] = "tcp-metrics"
    assert_found(wiring.missing_ports(cluster(broken)), "PodMonitor/ybss-kafka-brokers", "tcp-metrics")


def test_a_network_policy_port_that_matches_nothing_is_found(broken):
    named(broken, "NetworkPolicy")["ybss-kafka-exporter"]["spec"]["ingress"][0]["ports"][0]["port"] = 9405
    assert_found(wiring.missing_ports(cluster(broken)), "NetworkPolicy/ybss-kafka-exporter", "9405")


def test_a_network_policy_label_that_matches_nothing_is_found(broken):
    peers = named(broken, "NetworkPolicy")["ybss-mongo"]["spec"]["ingress"][0]["from"]
    peers[0]["podSelector"]["matchLabels"] = {"ybss/tier": "services"}
    named(broken, "NetworkPolicy")["ybss-kafka-exporter"]["spec"]["podSelector"]["matchLabels"] = {
        "strimzi.io/name": "ybss-kafka-exporter"}
    problems = wiring.missing_ports(cluster(broken))
    assert_found(problems, "NetworkPolicy/ybss-mongo", "services", "matches no pod")
    assert_found(problems, "NetworkPolicy/ybss-kafka-exporter", "selects no pod")


# --- every address in the config resolves to a Service and a port a NetworkPolicy allows -----------------------------

def test_every_address_resolves_to_a_service_port_the_policies_allow(rendered):
    assert wiring.unreachable_addresses(cluster(rendered)) == []


def set_config(documents: list[dict], key: str, value: str) -> None:
    next(c for c in named(documents, "ConfigMap").values() if key in c["data"])["data"][key] = value


def test_a_wrong_kafka_bootstrap_port_is_found(broken):
    set_config(broken, "KAFKA_BOOTSTRAP_SERVERS", "ybss-kafka-kafka-bootstrap.ybss.svc.cluster.local:9092")
    assert_found(wiring.unreachable_addresses(cluster(broken)), "KAFKA_BOOTSTRAP_SERVERS", "has no port 9092")


def test_a_wrong_kafka_bootstrap_host_is_found(broken):
    set_config(broken, "KAFKA_BOOTSTRAP_SERVERS", "ybss-kafka-bootstrap.ybss.svc.cluster.local:9093")
    assert_found(wiring.unreachable_addresses(cluster(broken)), "KAFKA_BOOTSTRAP_SERVERS", "no Service")


def test_a_wrong_mongodb_host_is_found(broken):
    variables = env(containers(deployment(broken, "house"))[0])
    variables["MONGODB_URI"]["value"] = variables["MONGODB_URI"]["value"].replace("ybss-mongo-rs0", "ybss-mongo-rs1")
    assert_found(wiring.unreachable_addresses(cluster(broken)), "ybss-house MONGODB_URI", "no Service ybss-mongo-rs1")


def test_a_call_no_network_policy_allows_is_found(broken):
    """The review's finding: ingest could not reach the address matcher on 8001."""
    broken[:] = [d for d in broken if d["metadata"]["name"] != "ybss-ingest-calls-address"]
    assert_found(wiring.unreachable_addresses(cluster(broken)), "YBSS_INGEST_ADDRESS_URL", "ybss-address on 8001")


def test_an_operator_in_its_own_namespace_cut_off_from_mongod_is_found(broken):
    """The review's finding: the PSMDB operator, installed cluster-wide, could not reach mongod."""
    peers = named(broken, "NetworkPolicy")["ybss-mongo"]["spec"]["ingress"][0]["from"]
    peers[:] = [peer for peer in peers if "namespaceSelector" not in peer]
    assert_found(wiring.unreachable_addresses(cluster(broken)), "MongoDB operator", "27017")


def test_an_egress_port_the_brokers_do_not_listen_on_is_found(broken):
    rules = named(broken, "NetworkPolicy")["ybss-services"]["spec"]["egress"]
    next(rule for rule in rules if rule["ports"] == [{"port": 9093, "protocol": "TCP"}])["ports"][0]["port"] = 9092
    assert_found(wiring.missing_ports(cluster(broken)), "NetworkPolicy/ybss-services", "egress port 9092")
    assert_found(wiring.unreachable_addresses(cluster(broken)), "KAFKA_BOOTSTRAP_SERVERS", "Kafka/ybss-kafka on 9093")


def test_a_kafka_listener_closed_to_the_services_is_found(broken):
    listener = named(broken, "Kafka")["ybss-kafka"]["spec"]["kafka"]["listeners"][0]
    listener["networkPolicyPeers"][0]["podSelector"]["matchLabels"] = {"ybss/tier": "api"}
    assert_found(wiring.unreachable_addresses(cluster(broken)), "KAFKA_BOOTSTRAP_SERVERS", "Kafka/ybss-kafka on 9093")


def test_prometheus_kept_out_of_the_exporter_is_found(broken):
    rule = named(broken, "NetworkPolicy")["ybss-kafka-exporter"]["spec"]["ingress"][0]
    rule["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] = "ybss"
    assert_found(wiring.unreachable_addresses(cluster(broken)), "PodMonitor/ybss-kafka-exporter", "9404")


# --- every Secret key referenced exists in the documented shape ------------------------------------------------------

def test_every_secret_key_referenced_is_documented(rendered, shapes):
    assert wiring.unknown_secret_keys(cluster(rendered), shapes) == []


def test_a_renamed_secret_key_is_found(broken, shapes):
    variables = env(containers(deployment(broken, "address"))[0])
    variables["MONGODB_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] = "addresses"
    pod_spec(deployment(broken, "person"))["volumes"][-1]["secret"]["items"][0]["key"] = "keys.json"
    problems = wiring.unknown_secret_keys(cluster(broken), shapes)
    assert_found(problems, "Deployment/ybss-address", "'addresses'", "ybss-mongo-users")
    assert_found(problems, "Deployment/ybss-person", "'keys.json'", "ybss-jwks")


def test_the_old_hmac_secret_is_gone_and_every_service_gets_the_jwks(rendered, shapes):
    """Issue 16's names: the JWKS at /etc/ybss/jwks/jwks.json everywhere, ingest's signing key, audience ybss."""
    assert "ybss-jwt" not in shapes
    for name, workload in named(rendered, "Deployment").items():
        container = containers(workload)[0]
        variables = env(container)
        assert "YBSS_JWT_SECRET" not in variables, name
        assert variables["YBSS_JWT_JWKS_FILE"]["value"] == "/etc/ybss/jwks/jwks.json", name
        assert variables["YBSS_JWT_AUDIENCE"]["value"] == "ybss", name
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pod_spec(workload)["volumes"]}
        assert volumes[mounts["/etc/ybss/jwks"]]["secret"]["secretName"] == "ybss-jwks", name
        if name == "ybss-ingest":
            assert variables["YBSS_SERVICE_KEY_FILE"]["value"] == "/etc/ybss/service-key/private.pem"
            assert volumes[mounts["/etc/ybss/service-key"]]["secret"]["secretName"] == "ybss-service-key-ingest"
        else:
            assert "YBSS_SERVICE_KEY_FILE" not in variables, f"{name} holds a signing key it does not need"


# --- images pinned ---------------------------------------------------------------------------------------------------

def test_every_image_is_pinned(rendered):
    assert wiring.unpinned_images(cluster(rendered)) == []


@pytest.mark.parametrize("image", ["registry.example.invalid/ybss/ybss:latest", "registry.example.invalid/ybss/ybss",
                                   "percona/percona-server-mongodb:8.0"])
def test_an_unpinned_image_is_found(broken, image):
    containers(deployment(broken, "audit"))[0]["image"] = image
    named(broken, "PerconaServerMongoDB")["ybss-mongo"]["spec"]["backup"]["image"] = "percona/percona-backup-mongodb"
    problems = wiring.unpinned_images(cluster(broken))
    assert_found(problems, "PerconaServerMongoDB/ybss-mongo", "percona-backup-mongodb'")
    if image.endswith(":8.0"):
        return  # a fixed version tag pins
    assert_found(problems, "Deployment/ybss-audit", image)


# --- Pod Security --------------------------------------------------------------------------------------------------

def test_every_pod_passes_the_namespaces_pod_security_level(rendered):
    assert wiring.pod_security_violations(cluster(rendered)) == []


def test_the_pod_security_label_removed_is_found(broken):
    del named(broken, "Namespace")["ybss"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
    assert_found(wiring.pod_security_violations(cluster(broken)), "enforces None, not restricted")


def test_strimzi_with_the_baseline_provider_is_found(broken):
    """The review's finding: Strimzi's default provider gives its containers no securityContext."""
    settings = copy.deepcopy(platform_settings())
    settings["strimzi"]["env"]["STRIMZI_POD_SECURITY_PROVIDER_CLASS"] = "baseline"
    problems = wiring.pod_security_violations(cluster(broken, settings))
    assert_found(problems, "Kafka/ybss-kafka", "ybss-kafka-brokers", "allowPrivilegeEscalation")


def test_a_mongo_init_container_without_a_security_context_is_found(broken):
    del named(broken, "PerconaServerMongoDB")["ybss-mongo"]["spec"]["initContainerSecurityContext"]
    assert_found(wiring.pod_security_violations(cluster(broken)), "PerconaServerMongoDB/ybss-mongo", "mongo-init")


def test_a_service_container_allowed_to_escalate_is_found(broken):
    containers(deployment(broken, "ingest"))[0]["securityContext"]["allowPrivilegeEscalation"] = True
    assert_found(wiring.pod_security_violations(cluster(broken)), "Deployment/ybss-ingest", "allowPrivilegeEscalation")


# --- PromQL valid ----------------------------------------------------------------------------------------------------

@pytest.mark.timeout(PROMTOOL_BUILD_SECONDS + 60)  # the first run on a machine builds promtool
def test_every_alert_is_valid_promql(rendered, promtool, tmp_path):
    assert wiring.invalid_promql(cluster(rendered), promtool, tmp_path) == []


@pytest.mark.timeout(PROMTOOL_BUILD_SECONDS + 60)
def test_invalid_promql_is_found(broken, promtool, tmp_path):
    rule = named(broken, "PrometheusRule")["ybss-alerts"]["spec"]["groups"][0]["rules"][0]
    rule["expr"] = "max by (context) (ybss_relay_lag_seconds > 120"
    assert_found(wiring.invalid_promql(cluster(broken), promtool, tmp_path), "PrometheusRule/ybss-alerts")
