"""What a platform team checks before accepting the production overlay, asserted on its rendered objects."""

from __future__ import annotations

import re
from pathlib import Path

from contracts.contexts import CONTEXTS
from services.kernel.base.settings import LOCAL_DEV_JWT_SECRET
from tests.deploy.objects import config_map, containers, env, named, of_kind, pod_spec, selects

REPO = Path(__file__).resolve().parents[2]


def test_apis_run_at_least_two_replicas_with_zero_downtime_rolling_updates(production):
    autoscaled = {a["spec"]["scaleTargetRef"]["name"] for a in of_kind(production, "HorizontalPodAutoscaler")}
    for name, deployment in named(production, "Deployment").items():
        assert name in autoscaled, f"{name} has no HorizontalPodAutoscaler to keep its replicas"
        assert "replicas" not in deployment["spec"], f"{name}: spec.replicas beside an HPA resets scale on every apply"
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate", name
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0, f"{name} may drop below its replicas in a rollout"
    for name, autoscaler in named(production, "HorizontalPodAutoscaler").items():
        assert autoscaler["spec"]["minReplicas"] >= 2, name


def test_replicas_are_spread_over_nodes_and_zones(production):
    for name, deployment in named(production, "Deployment").items():
        constraints = {c["topologyKey"]: c for c in pod_spec(deployment)["topologySpreadConstraints"]}
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone"):
            assert constraints[key]["whenUnsatisfiable"] == "DoNotSchedule", f"{name}: {key}"
            assert selects(constraints[key]["labelSelector"], deployment["spec"]["template"]["metadata"]["labels"])


def test_every_event_topic_has_three_replicas_two_in_sync_and_is_kept_forever(production):
    topics = of_kind(production, "KafkaTopic")
    assert topics
    for topic in topics:
        spec, name = topic["spec"], topic["spec"]["topicName"]
        assert spec["replicas"] == 3, name
        assert int(spec["config"]["min.insync.replicas"]) == 2, name
        assert spec["config"]["unclean.leader.election.enable"] is False, name
        if topic["metadata"]["labels"]["ybss.topic/kind"] in {"events", "access-log"}:
            assert int(spec["config"]["retention.ms"]) == -1 and int(spec["config"]["retention.bytes"]) == -1, name
            assert spec["config"]["cleanup.policy"] == "delete", f"{name}: compaction would drop events"


def test_projection_autoscaling_stops_at_the_partition_count(production):
    partitions = min(topic["spec"]["partitions"] for topic in of_kind(production, "KafkaTopic"))
    for name, autoscaler in named(production, "HorizontalPodAutoscaler").items():
        assert autoscaler["spec"]["maxReplicas"] <= partitions, f"{name}: consumers beyond {partitions} would idle"


def test_kafka_cluster_is_three_controllers_three_brokers_refusing_unsafe_writes(production):
    pools = named(production, "KafkaNodePool")
    assert pools["controllers"]["spec"]["replicas"] == 3 and pools["controllers"]["spec"]["roles"] == ["controller"]
    assert pools["brokers"]["spec"]["replicas"] == 3 and pools["brokers"]["spec"]["roles"] == ["broker"]
    kafka = named(production, "Kafka")["ybss-kafka"]["spec"]["kafka"]
    config = kafka["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["unclean.leader.election.enable"] is False and config["auto.create.topics.enable"] is False
    assert kafka["rack"]["topologyKey"] == "topology.kubernetes.io/zone"
    assert kafka["authorization"]["type"] == "simple"
    assert all(listener["tls"] and listener["authentication"]["type"] == "scram-sha-512"
               for listener in kafka["listeners"])


def test_mongodb_is_a_three_member_replica_set_and_services_write_with_majority(production):
    mongo = named(production, "PerconaServerMongoDB")["ybss-mongo"]["spec"]
    assert [replset["size"] for replset in mongo["replsets"]] == [3]
    assert mongo["replsets"][0]["affinity"]["antiAffinityTopologyKey"] == "topology.kubernetes.io/zone"
    assert "unsafeFlags" not in mongo
    for name, deployment in named(production, "Deployment").items():
        variables = env(containers(deployment)[0])
        uri = variables["MONGODB_URI"]["value"]
        assert re.search(r"[?&]w=majority(&|$)", uri), f"{name}: {uri}"
        assert "$(MONGODB_PASSWORD)" in uri and "valueFrom" in variables["MONGODB_PASSWORD"], name
        assert list(variables).index("MONGODB_PASSWORD") < list(variables).index("MONGODB_URI"), \
            f"{name}: $(MONGODB_PASSWORD) expands only from a variable defined before it"


def test_every_deployment_has_a_disruption_budget_that_keeps_it_serving(production):
    budgets = of_kind(production, "PodDisruptionBudget")
    for name, deployment in named(production, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        mine = [budget for budget in budgets if selects(budget["spec"]["selector"], labels)]
        assert len(mine) == 1, f"{name} has {len(mine)} PodDisruptionBudgets"
        assert mine[0]["spec"].get("maxUnavailable") == 1 or mine[0]["spec"].get("minAvailable", 0) >= 1, name


def test_pods_run_non_root_read_only_unprivileged_with_no_capabilities(production):
    for name, deployment in named(production, "Deployment").items():
        pod = pod_spec(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        for container in containers(deployment):
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context.get("privileged", False) is False, name
            assert context["capabilities"]["drop"] == ["ALL"] and not context["capabilities"].get("add"), name


def test_every_container_has_requests_limits_and_probes(production):
    for name, deployment in named(production, "Deployment").items():
        for container in containers(deployment):
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), name
            assert {"cpu", "memory"} <= resources["limits"].keys(), name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert "startupProbe" in container, f"{name}: a slow start must not trip the liveness probe"


def test_network_policies_admit_only_the_ingress_to_apis_and_only_services_to_mongodb(production):
    policies = named(production, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    service_labels = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind(production, "Deployment")]
    apis = policies["ybss-services"]["spec"]
    assert all(selects(apis["podSelector"], labels) for labels in service_labels)
    sources = {peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
               for rule in apis["ingress"] for peer in rule["from"]}
    assert sources == {"envoy-gateway-system", "monitoring"}
    assert "Egress" in apis["policyTypes"], "services may talk only to DNS, Kafka and MongoDB"
    database = [rule for rule in policies["ybss-mongo"]["spec"]["ingress"]
                if {"port": 27017, "protocol": "TCP"} in rule["ports"]]
    mongo_peers = [peer for rule in database for peer in rule["from"]]
    assert all("podSelector" in peer for peer in mongo_peers), "no whole namespace reaches mongod"
    assert any(all(selects(peer["podSelector"], labels) for labels in service_labels) for peer in mongo_peers)
    listener_peers = named(production, "Kafka")["ybss-kafka"]["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    assert any(all(selects(peer["podSelector"], labels) for labels in service_labels) for peer in listener_peers)


def test_prometheus_scrapes_every_service_and_alerts_on_lag_dead_letters_and_errors(production):
    monitors = of_kind(production, "ServiceMonitor")
    for service in of_kind(production, "Service"):
        assert any(selects(monitor["spec"]["selector"], service["metadata"]["labels"]) for monitor in monitors), \
            service["metadata"]["name"]
    expressions = {rule["alert"]: rule["expr"] for rule_set in of_kind(production, "PrometheusRule")
                   for group in rule_set["spec"]["groups"] for rule in group["rules"]}
    for metric in ("ybss_relay_lag_seconds", "ybss_relay_leader", "kafka_consumergroup_lag",
                   "ybss_dead_letters_total", 'ybss_http_requests_total{status=~"5.."}'):
        assert any(metric in expression for expression in expressions.values()), f"no alert on {metric}"


def test_one_relay_lease_per_context(production):
    """Every replica of a context competes for the same lease; no two Deployments serve one context."""
    from services.kernel.messaging.lease import relay_lease_name

    config = config_map(production)
    ttl, renew = float(config["YBSS_RELAY_LEASE_TTL_SECONDS"]), float(config["YBSS_RELAY_LEASE_RENEW_SECONDS"])
    assert renew * 3 <= ttl, "a leader must be able to miss two renewals before its term ends"
    serving = [containers(d)[0]["args"][0] for d in of_kind(production, "Deployment")]
    assert sorted(serving) == sorted(context.name for context in CONTEXTS), "one Deployment per context"
    leases = {(config["YBSS_NAMESPACE"], context, relay_lease_name(context)) for context in serving}
    assert len(leases) == len(CONTEXTS)
    for deployment in of_kind(production, "Deployment"):
        overrides = env(containers(deployment)[0])
        assert not {"YBSS_NAMESPACE", "YBSS_RELAY_LEASE_TTL_SECONDS"} & overrides.keys(), \
            "a Deployment with its own namespace or TTL would hold a lease of its own"
        grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
        assert grace > 5, "a stopping pod releases its lease before it is killed"


def test_production_mode_and_a_config_change_rolls_the_pods(production):
    """The ConfigMap's name carries a hash of its content (configMapGenerator): new config, new pod template."""
    assert config_map(production)["YBSS_ENVIRONMENT"] == "production"
    (name,) = named(production, "ConfigMap")
    assert re.fullmatch(r"ybss-config-[a-z0-9]{10}", name), name
    for deployment in of_kind(production, "Deployment"):
        assert containers(deployment)[0]["envFrom"] == [{"configMapRef": {"name": name}}]


def test_no_secret_value_is_rendered_or_committed(production, local):
    for documents in (production, local):
        assert not of_kind(documents, "Secret"), "Secrets are provisioned by the platform, never rendered from git"
        for deployment in of_kind(documents, "Deployment"):
            for container in containers(deployment):
                for name, entry in env(container).items():
                    if re.search(r"SECRET|PASSWORD|TOKEN|KEY", name) and not name.endswith("_FILE"):
                        assert "valueFrom" in entry, f"{name} is given a literal value"
    for path in (REPO / "deploy" / "k8s").rglob("*"):
        if not path.is_file() or path.suffix not in {".yaml", ".yml", ".json", ".sh", ".py", ".md", ""}:
            continue
        text = path.read_text(errors="replace")
        assert LOCAL_DEV_JWT_SECRET not in text, path
        assert not re.search(r"^kind:\s*Secret\s*$", text, re.M), f"{path} commits a Secret"
        for credential in (r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]{10,}\.[\w-]{10,}\.",
                           r"mongodb(\+srv)?://[^:/@\s]+:(?!\$\()[^@\s]+@"):
            assert not re.search(credential, text), f"{path} holds a credential ({credential})"


def test_the_local_overlay_is_one_of_each(local):
    assert all(a["spec"]["minReplicas"] == 1 for a in of_kind(local, "HorizontalPodAutoscaler"))
    assert [pool["metadata"]["name"] for pool in of_kind(local, "KafkaNodePool")] == ["brokers"]
    assert named(local, "KafkaNodePool")["brokers"]["spec"]["roles"] == ["controller", "broker"]
    assert all(topic["spec"]["replicas"] == 1 for topic in of_kind(local, "KafkaTopic"))
    assert named(local, "PerconaServerMongoDB")["ybss-mongo"]["spec"]["replsets"][0]["size"] == 1


def test_the_image_is_multi_stage_and_runs_as_a_numeric_non_root_user():
    dockerfile = (REPO / "deploy" / "k8s" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert len(stages) >= 2, "build tools stay out of the runtime image"
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]), "numeric, so runAsNonRoot can verify it"
    assert re.search(r"^ENTRYPOINT\s+\[\"ybss-entrypoint\"\]", dockerfile, re.M)
    assert ":latest" not in dockerfile


def test_a_stopping_pod_closes_its_sse_streams_before_it_is_killed(production):
    """preStop sleep, then uvicorn's graceful shutdown (open SSE streams closed after it), inside the grace period."""
    from contracts.contexts import context
    from services.kernel.web.app import ServiceSpec
    from services.kernel.operations.serve import uvicorn_options

    for name, deployment in named(production, "Deployment").items():
        container = containers(deployment)[0]
        graceful = env(container)["YBSS_GRACEFUL_SHUTDOWN_SECONDS"]["value"]
        spec = ServiceSpec(context=container["args"][0], title=name, description="")
        options = uvicorn_options(spec, {"YBSS_GRACEFUL_SHUTDOWN_SECONDS": graceful})
        assert options["timeout_graceful_shutdown"] == int(graceful)
        assert options["port"] == context(container["args"][0]).port
        stop = container["lifecycle"]["preStop"]["sleep"]["seconds"] + int(graceful)
        assert stop < pod_spec(deployment)["terminationGracePeriodSeconds"], f"{name}: SIGKILL before streams close"


def quantity_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMG]i)?", value).groups()
    return int(number) * {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}[unit]


def test_the_gateway_serves_every_context_over_tls_with_the_services_own_limits(production):
    """HTTPS only (cert-manager's certificate), one route per context, the SSE stream held open past the request
    timeout, and the gateway's body limit equal to the largest body the service itself takes (413 either way)."""
    from services.ingest.api.batches import MAX_BATCH_BODY_BYTES
    from services.ingest.api.sheets import MAX_UPLOAD_BYTES
    from services.kernel.base.settings import Settings

    (gateway,) = of_kind(production, "Gateway")
    assert gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert [(listener["protocol"], listener["tls"]["mode"]) for listener in gateway["spec"]["listeners"]] == \
        [("HTTPS", "Terminate")]
    routes, limits = named(production, "HTTPRoute"), named(production, "BackendTrafficPolicy")
    largest = {"ingest": max(MAX_BATCH_BODY_BYTES, MAX_UPLOAD_BYTES)}
    for context in CONTEXTS:
        name = f"ybss-{context.name}"
        assert routes[name]["spec"]["parentRefs"] == [{"name": gateway["metadata"]["name"], "sectionName": "https"}]
        limit = quantity_bytes(limits[name]["spec"]["requestBuffer"]["limit"])
        assert limit == largest.get(context.name, Settings.model_fields["request_body_max_bytes"].default), name
        assert limits[name]["spec"]["targetRefs"][0]["name"] == name
    stream = [rule for rule in routes["ybss-person"]["spec"]["rules"]
              if rule["matches"][0]["path"]["value"] == "/v1/watch/alerts/stream"]
    assert stream and int(stream[0]["timeouts"]["request"].rstrip("s")) >= 3600, "SSE streams outlive the 60 s timeout"


def test_agencies_reach_kafka_only_over_the_external_tls_listener_within_their_quotas(production):
    """Agencies (社会化采集) publish to Kafka from outside: TLS + SCRAM, their networks only, a quota each."""
    listeners = {item["name"]: item for item in named(production, "Kafka")["ybss-kafka"]["spec"]["kafka"]["listeners"]}
    external = listeners["external"]
    assert external["type"] != "internal" and external["tls"] and external["authentication"]["type"] == "scram-sha-512"
    assert external["networkPolicyPeers"] and all("ipBlock" in peer for peer in external["networkPolicyPeers"])
    agencies = [user for user in of_kind(production, "KafkaUser") if "ybss/agency" in user["metadata"]["labels"]]
    assert agencies
    for user in agencies:
        assert {"producerByteRate", "consumerByteRate", "requestPercentage"} <= user["spec"]["quotas"].keys()


def test_a_context_user_writes_only_its_own_database_and_reads_what_its_redrive_reads(production):
    """``ybss dlt redrive`` re-reads parked events from their source contexts' event stores (deadletters.py)."""
    users = {user["name"]: user for user in named(production, "PerconaServerMongoDB")["ybss-mongo"]["spec"]["users"]}
    for context in CONTEXTS:
        roles = {(role["name"], role["db"]) for role in users[f"ybss-{context.name}"]["roles"]}
        reads = {("read", f"ybss_{source}") for source in context.consumes} if context.projections else set()
        assert roles == {("readWrite", f"ybss_{context.name}")} | reads, context.name


def test_the_event_store_is_backed_up_with_point_in_time_recovery_to_object_storage(production):
    backup = named(production, "PerconaServerMongoDB")["ybss-mongo"]["spec"]["backup"]
    assert backup["enabled"] and backup["pitr"]["enabled"] and backup["pitr"]["oplogSpanMin"] <= 15
    storages = backup["storages"]
    assert all(storage["type"] == "s3" and storage["s3"]["credentialsSecret"] for storage in storages.values())
    tasks = [task for task in backup["tasks"] if task["enabled"]]
    assert any(re.fullmatch(r"\d+ \d+ \* \* \*", task["schedule"]) for task in tasks), "a daily base backup"
    assert all(task["storageName"] in storages and task["retention"]["count"] >= 7
               and task["retention"]["deleteFromStorage"] for task in tasks)


def test_every_ybss_metric_an_alert_names_is_one_the_services_export(production):
    """promtool checks the syntax; a misspelt metric name is valid PromQL that never fires."""
    import importlib
    import pkgutil

    from prometheus_client import REGISTRY

    import services.kernel

    for module in pkgutil.iter_modules(services.kernel.__path__):
        if module.name in {"metrics", "lease", "parking", "deadletters", "outbox", "projection"}:
            importlib.import_module(f"services.kernel.{module.name}")
    families = {family.name for family in REGISTRY.collect()}
    expressions = [rule["expr"] for rule_set in of_kind(production, "PrometheusRule")
                   for group in rule_set["spec"]["groups"] for rule in group["rules"]]
    named_metrics = {name for expression in expressions for name in re.findall(r"\bybss_[a-z_]+", expression)}
    unknown = {name for name in named_metrics
               if name not in families and re.sub(r"_(total|bucket|sum|count|created)$", "", name) not in families}
    assert named_metrics and not unknown, f"alerts on metrics no service exports: {sorted(unknown)}"
