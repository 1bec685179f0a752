"""The cluster the manifests make: the rendered objects plus the pods, Services and NetworkPolicies the operators
create from their custom resources, and the callers from outside the namespace (Prometheus, the gateway, the
MongoDB operator).

The wiring checks (wiring.py) need the pods the Strimzi and Percona operators will run, which no rendered object
shows. This models them as far as the custom resources determine them, after the operators' documented behaviour
(Strimzi 1.2 with node pools and KRaft; Percona Operator for MongoDB 1.22): names, labels, container ports,
security contexts. What a CR does not say (Strimzi's pod security provider) comes from the operator settings in
deploy/k8s/platform/.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.objects import named, of_kind

PLATFORM = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "platform"
NAMESPACE = "ybss"
#: Namespaces outside ybss that call into it, and their pods' labels (deploy/k8s/README.md: what the cluster needs)
MONITORING = ("monitoring", {"app.kubernetes.io/name": "prometheus"})
GATEWAY = ("envoy-gateway-system", {"app.kubernetes.io/name": "envoy"})
MONGO_OPERATOR = ("psmdb-operator", {"app.kubernetes.io/name": "percona-server-mongodb-operator"})
STRIMZI_OPERATOR = ("strimzi", {"name": "strimzi-cluster-operator"})


@dataclass
class Pod:
    """A pod (or a pod template standing for all its replicas) and where it runs."""

    name: str
    namespace: str
    labels: dict
    spec: dict = field(default_factory=lambda: {"containers": []})
    source: str = ""  #: the object that makes it (Deployment/ybss-person, Kafka/ybss-kafka, ...)

    def ports(self) -> list[dict]:
        return [port for container in self.spec.get("containers", []) for port in container.get("ports", [])]

    def port_number(self, port: int | str) -> int | None:
        """A container port by number or name, None when no container of the pod exposes it."""
        for candidate in self.ports():
            if port in (candidate.get("name"), candidate["containerPort"]):
                return candidate["containerPort"]
        return None


def platform_settings() -> dict:
    """How the platform installs the operators (deploy/k8s/platform/operators.yaml)."""
    import yaml  # from the deploy tools (conftest.py puts them on the path)

    path = PLATFORM / "operators.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


# --- Strimzi -------------------------------------------------------------------------------------------------------

def listener_port_name(listener: dict) -> str:
    """Strimzi keeps the old names for the old default listeners, tcp-<name> otherwise."""
    legacy = {("plain", 9092): "tcp-clients", ("tls", 9093): "tcp-clientstls", ("external", 9094): "tcp-external"}
    return legacy.get((listener["name"], listener["port"]), f"tcp-{listener['name']}")


def strimzi_container_context(settings: dict) -> dict | None:
    """The restricted provider (STRIMZI_POD_SECURITY_PROVIDER_CLASS=restricted) gives every container a
    restricted-compliant securityContext; the default (baseline) provider sets none."""
    if settings.get("strimzi", {}).get("env", {}).get("STRIMZI_POD_SECURITY_PROVIDER_CLASS") != "restricted":
        return None
    return {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def strimzi_pods(documents: list[dict], settings: dict) -> tuple[list[Pod], list[dict], list[dict]]:
    pods, services, policies = [], [], []
    context = strimzi_container_context(settings)
    for kafka in of_kind(documents, "Kafka"):
        cluster, spec = kafka["metadata"]["name"], kafka["spec"]
        base = {"strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka"}
        listeners = spec["kafka"]["listeners"]
        metrics = [{"name": "tcp-prometheus", "containerPort": 9404}] if spec["kafka"].get("metricsConfig") else []
        for pool in of_kind(documents, "KafkaNodePool"):
            if pool["metadata"]["labels"].get("strimzi.io/cluster") != cluster:
                continue
            roles = pool["spec"]["roles"]
            ports = [{"name": "tcp-ctrlplane", "containerPort": 9090}] if "controller" in roles else []
            if "broker" in roles:
                ports += [{"name": "tcp-replication", "containerPort": 9091}]
                ports += [{"name": listener_port_name(item), "containerPort": item["port"]} for item in listeners]
            labels = {**base, "strimzi.io/name": f"{cluster}-kafka", "strimzi.io/pool-name": pool["metadata"]["name"],
                      "strimzi.io/component-type": "kafka", "strimzi.io/broker-role": str("broker" in roles).lower(),
                      "strimzi.io/controller-role": str("controller" in roles).lower(),
                      **pool["spec"].get("template", {}).get("pod", {}).get("metadata", {}).get("labels", {})}
            template = pool["spec"].get("template", {}).get("pod") or spec["kafka"].get("template", {}).get("pod", {})
            container = {"name": "kafka", "image": "strimzi", "ports": ports + metrics}
            if context:
                container["securityContext"] = context
            pod_spec = {"securityContext": template.get("securityContext", {}), "containers": [container]}
            pods.append(Pod(f"{cluster}-{pool['metadata']['name']}", NAMESPACE, labels, pod_spec, f"Kafka/{cluster}"))
        broker = {**base, "strimzi.io/name": f"{cluster}-kafka", "strimzi.io/broker-role": "true"}
        services.append({"kind": "Service", "metadata": {"name": f"{cluster}-kafka-bootstrap", "labels": base},
                         "spec": {"selector": broker, "ports": [
                             {"name": listener_port_name(item), "port": item["port"],
                              "targetPort": item["port"]} for item in listeners]}})
        # Strimzi's own policy on the brokers: each listener from its networkPolicyPeers (everyone when absent)
        ingress = [{"from": item["networkPolicyPeers"], "ports": [{"port": item["port"], "protocol": "TCP"}]}
                   if item.get("networkPolicyPeers") else {"ports": [{"port": item["port"], "protocol": "TCP"}]}
                   for item in listeners]
        ingress += [{"from": [{"podSelector": {"matchLabels": base}}], "ports": [{"port": p, "protocol": "TCP"}]}
                    for p in (9090, 9091)]
        ingress += [{"ports": [{"port": 9404, "protocol": "TCP"}]}] if metrics else []
        policies.append({"kind": "NetworkPolicy", "metadata": {"name": f"{cluster}-network-policy-kafka"},
                         "spec": {"podSelector": {"matchLabels": {**base, "strimzi.io/name": f"{cluster}-kafka"}},
                                  "policyTypes": ["Ingress"], "ingress": ingress}})
        for component, present in (("kafka-exporter", "kafkaExporter" in spec),
                                   ("entity-operator", "entityOperator" in spec)):
            if not present:
                continue
            ports = [{"name": "tcp-prometheus", "containerPort": 9404}] if component == "kafka-exporter" else []
            container = {"name": component, "image": "strimzi", "ports": ports}
            if context:
                container["securityContext"] = context
            template = spec.get("kafkaExporter" if component == "kafka-exporter" else "entityOperator", {}).get(
                "template", {}).get("pod", {})
            pods.append(Pod(f"{cluster}-{component}", NAMESPACE,
                            {**base, "strimzi.io/name": f"{cluster}-{component}"},
                            {"securityContext": template.get("securityContext", {}), "containers": [container]},
                            f"Kafka/{cluster}"))
    return pods, services, policies


# --- Percona Server for MongoDB ------------------------------------------------------------------------------------

def psmdb_pods(documents: list[dict]) -> tuple[list[Pod], list[dict]]:
    pods, services = [], []
    for mongo in of_kind(documents, "PerconaServerMongoDB"):
        cluster, spec = mongo["metadata"]["name"], mongo["spec"]
        for replset in spec["replsets"]:
            labels = {"app.kubernetes.io/name": "percona-server-mongodb", "app.kubernetes.io/instance": cluster,
                      "app.kubernetes.io/replset": replset["name"], "app.kubernetes.io/component": "mongod",
                      "app.kubernetes.io/managed-by": "percona-server-mongodb-operator",
                      "app.kubernetes.io/part-of": "percona-server-mongodb", **replset.get("labels", {})}
            mongod = {"name": "mongod", "image": spec["image"], "ports": [{"name": "mongodb", "containerPort": 27017}],
                      "securityContext": replset.get("containerSecurityContext", {})}
            containers = [mongod]
            backup = spec.get("backup", {})
            if backup.get("enabled"):
                containers.append({"name": "backup-agent", "image": backup["image"],
                                   "securityContext": backup.get("containerSecurityContext", {})})
            if spec.get("logcollector", {}).get("enabled", False):
                containers.append({"name": "logs", "image": spec["logcollector"].get("image", "percona/fluentbit"),
                                   "securityContext": spec["logcollector"].get("containerSecurityContext", {})})
            containers += [copy.deepcopy(sidecar) for sidecar in replset.get("sidecars", [])]
            init = {"name": "mongo-init", "image": spec.get("initImage", spec["image"]),
                    "securityContext": spec.get("initContainerSecurityContext", {})}
            pod_spec = {"securityContext": replset.get("podSecurityContext", {}), "initContainers": [init],
                        "containers": containers,
                        "volumes": [{"name": "mongod-data", "persistentVolumeClaim": {"claimName": "data"}},
                                    *replset.get("sidecarVolumes", [])]}
            pods.append(Pod(f"{cluster}-{replset['name']}", NAMESPACE, labels, pod_spec,
                            f"PerconaServerMongoDB/{cluster}"))
            services.append({"kind": "Service", "metadata": {"name": f"{cluster}-{replset['name']}"},
                             "spec": {"clusterIP": "None", "selector": {
                                 key: labels[key] for key in ("app.kubernetes.io/instance", "app.kubernetes.io/replset",
                                                              "app.kubernetes.io/component")},
                                 "ports": [{"name": "mongodb", "port": 27017, "targetPort": 27017}]}})
    return pods, services


# --- the whole picture ---------------------------------------------------------------------------------------------

def workload_pods(documents: list[dict]) -> list[Pod]:
    pods = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        for name, workload in named(documents, kind).items():
            template = workload["spec"]["template"]
            pods.append(Pod(name, workload["metadata"].get("namespace", NAMESPACE), template["metadata"]["labels"],
                            template["spec"], f"{kind}/{name}"))
    for name, job in named(documents, "CronJob").items():
        template = job["spec"]["jobTemplate"]["spec"]["template"]
        pods.append(Pod(name, NAMESPACE, template["metadata"].get("labels", {}), template["spec"], f"CronJob/{name}"))
    return pods


@dataclass
class Cluster:
    documents: list[dict]
    pods: list[Pod]
    services: list[dict]
    policies: list[dict]
    namespaces: dict[str, dict]  #: namespace name -> labels

    def service(self, name: str) -> dict | None:
        return next((s for s in self.services if s["metadata"]["name"] == name), None)


def external_pods() -> list[Pod]:
    return [Pod(labels["app.kubernetes.io/name" if "app.kubernetes.io/name" in labels else "name"], namespace, labels,
                source="platform") for namespace, labels in (MONITORING, GATEWAY, MONGO_OPERATOR, STRIMZI_OPERATOR)]


def cluster(documents: list[dict], settings: dict | None = None) -> Cluster:
    settings = platform_settings() if settings is None else settings
    kafka_pods, kafka_services, kafka_policies = strimzi_pods(documents, settings)
    mongo_pods, mongo_services = psmdb_pods(documents)
    namespaces = {doc["metadata"]["name"]: doc["metadata"].get("labels", {}) for doc in of_kind(documents, "Namespace")}
    for namespace in (MONITORING[0], GATEWAY[0], MONGO_OPERATOR[0], STRIMZI_OPERATOR[0], "kube-system"):
        namespaces.setdefault(namespace, {})
    namespaces = {name: {**labels, "kubernetes.io/metadata.name": name} for name, labels in namespaces.items()}
    return Cluster(documents, workload_pods(documents) + kafka_pods + mongo_pods + external_pods(),
                   of_kind(documents, "Service") + kafka_services + mongo_services,
                   of_kind(documents, "NetworkPolicy") + kafka_policies, namespaces)
