"""Checks of the wiring between objects, each returning the problems it finds (empty when the wiring holds).

Schemas say an object is well formed; these say the objects fit together: a Service selects pods, a port that a
Service, probe, monitor or NetworkPolicy names exists on the pods, an address in the config resolves to a Service
and a port that the NetworkPolicies let the caller reach, a Secret key exists in the documented shape, an image is
pinned, every pod passes the namespace's Pod Security level. tests/deploy/test_wiring.py runs each on the rendered
overlays and on a copy broken on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from tests.deploy.cluster import GATEWAY, MONGO_OPERATOR, MONITORING, Cluster, Pod
from tests.deploy.objects import of_kind, selects

# --- selectors and NetworkPolicies -----------------------------------------------------------------------------------


def selected(cluster: Cluster, selector: dict, namespace: str = "ybss") -> list[Pod]:
    return [pod for pod in cluster.pods if pod.namespace == namespace and selects(selector, pod.labels)]


def service_pods(cluster: Cluster, service: dict) -> list[Pod]:
    return selected(cluster, {"matchLabels": service["spec"].get("selector", {})}) if service["spec"].get(
        "selector") else []


def namespace_of(document: dict) -> str:
    return document["metadata"].get("namespace", "ybss")


def peer_matches(cluster: Cluster, peer: dict, policy_namespace: str, pod: Pod) -> bool:
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        in_namespace = selects(peer["namespaceSelector"], cluster.namespaces.get(pod.namespace, {}))
    else:
        in_namespace = pod.namespace == policy_namespace
    return in_namespace and selects(peer.get("podSelector", {}), pod.labels)


def ports_match(rule_ports: list[dict] | None, destination: Pod, port: int) -> bool:
    if not rule_ports:
        return True
    for item in rule_ports:
        if item.get("protocol", "TCP") != "TCP":
            continue
        named = item.get("port")
        if named is None or named == port or (isinstance(named, int) and named <= port <= item.get("endPort", named)):
            return True
        if isinstance(named, str) and destination.port_number(named) == port:
            return True
    return False


def policy_types(policy: dict) -> list[str]:
    return policy["spec"].get("policyTypes") or (["Ingress", "Egress"] if "egress" in policy["spec"] else ["Ingress"])


def allowed(cluster: Cluster, source: Pod, destination: Pod, port: int) -> bool:
    """Whether the NetworkPolicies let ``source`` open a TCP connection to ``destination`` on ``port``."""
    def admitted(pod: Pod, direction: str, other: Pod) -> bool:
        key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        policies = [policy for policy in cluster.policies if namespace_of(policy) == pod.namespace
                    and direction in policy_types(policy) and selects(policy["spec"]["podSelector"], pod.labels)]
        if not policies:
            return True
        return any((not rule.get(peers) or any(peer_matches(cluster, peer, namespace_of(policy), other)
                                                 for peer in rule[peers]))
                   and ports_match(rule.get("ports"), destination, port)
                   for policy in policies for rule in policy["spec"].get(key, []))
    return admitted(destination, "Ingress", source) and admitted(source, "Egress", destination)


# --- 1. every Service selects pods -----------------------------------------------------------------------------------

def services_without_pods(cluster: Cluster) -> list[str]:
    return [f"Service/{service['metadata']['name']} selects no pod ({service['spec'].get('selector')})"
            for service in of_kind(cluster.documents, "Service") if not service_pods(cluster, service)]


# --- 2. every port named exists on the pods --------------------------------------------------------------------------

def probe_ports(pod: Pod) -> Iterator[tuple[str, int | str, dict]]:
    for container in pod.spec.get("initContainers", []) + pod.spec.get("containers", []):
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            action = container.get(probe, {})
            for handler in ("httpGet", "tcpSocket", "grpc"):
                if handler in action:
                    yield f"{container['name']}.{probe}", action[handler]["port"], container


def missing_ports(cluster: Cluster) -> list[str]:
    problems = []
    for service in of_kind(cluster.documents, "Service"):
        for pod in service_pods(cluster, service):
            for port in service["spec"]["ports"]:
                if pod.port_number(port.get("targetPort", port["port"])) is None:
                    problems.append(f"Service/{service['metadata']['name']} targets port {port.get('targetPort')!r} "
                                    f"that {pod.source} does not expose")
    for pod in cluster.pods:
        for where, port, container in probe_ports(pod):
            if not any(port in (item.get("name"), item["containerPort"]) for item in container.get("ports", [])):
                problems.append(f"{pod.source}: {where} checks port {port!r}, which the container does not expose")
    for monitor in of_kind(cluster.documents, "ServiceMonitor"):
        services = [s for s in cluster.services if selects(monitor["spec"]["selector"], s["metadata"].get("labels", {}))]
        if not services:
            problems.append(f"ServiceMonitor/{monitor['metadata']['name']} selects no Service")
        for endpoint in monitor["spec"]["endpoints"]:
            for service in services:
                if not any(endpoint.get("port") == port.get("name") for port in service["spec"]["ports"]):
                    problems.append(f"ServiceMonitor/{monitor['metadata']['name']} scrapes port "
                                    f"{endpoint.get('port')!r} that Service/{service['metadata']['name']} lacks")
    for monitor in of_kind(cluster.documents, "PodMonitor"):
        pods = selected(cluster, monitor["spec"]["selector"])
        if not pods:
            problems.append(f"PodMonitor/{monitor['metadata']['name']} selects no pod")
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            problems += [f"PodMonitor/{monitor['metadata']['name']} scrapes port {endpoint.get('port')!r} that "
                         f"{pod.source} lacks" for pod in pods if pod.port_number(endpoint.get("port")) is None]
    for policy in of_kind(cluster.documents, "NetworkPolicy"):
        problems += policy_problems(cluster, policy)
    return problems


def policy_problems(cluster: Cluster, policy: dict) -> list[str]:
    """A policy's pod selector, its peers and its ports must each match something that exists."""
    name, spec, namespace = f"NetworkPolicy/{policy['metadata']['name']}", policy["spec"], namespace_of(policy)
    targets = selected(cluster, spec["podSelector"], namespace)
    problems = [] if targets else [f"{name} selects no pod ({spec['podSelector']})"]
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(key, []):
            peers = [pod for peer in rule.get(peers_key, []) if "ipBlock" not in peer
                     for pod in cluster.pods if peer_matches(cluster, peer, namespace, pod)]
            for peer in rule.get(peers_key, []):
                problems += [f"{name}: {key} peer {peer}: {why}" for why in peer_problems(cluster, peer, namespace)]
            holders = targets if key == "ingress" else [pod for pod in peers if pod.namespace == "ybss"]
            for port in rule.get("ports", []):
                if holders and isinstance(port.get("port"), (str, int)) and not any(
                        pod.port_number(port["port"]) is not None or (isinstance(port["port"], int) and not pod.ports())
                        for pod in holders):
                    problems.append(f"{name}: {key} port {port['port']!r} exists on none of the pods it applies to")
    return problems


def peer_problems(cluster: Cluster, peer: dict, namespace: str) -> list[str]:
    """A peer must name a namespace that exists and, where the pods are modelled (ybss), pods that exist."""
    if "ipBlock" in peer:
        return []
    spaces = [ns for ns, labels in cluster.namespaces.items() if selects(peer["namespaceSelector"], labels)] \
        if "namespaceSelector" in peer else [namespace]
    if not spaces:
        return ["matches no namespace"]
    modelled = [ns for ns in spaces if ns == "ybss"]
    if "podSelector" in peer and modelled and len(modelled) == len(spaces) and not any(
            peer_matches(cluster, peer, namespace, pod) for pod in cluster.pods):
        return ["matches no pod"]
    return []


# --- 3. every address in the config resolves and is allowed ----------------------------------------------------------

def environment(cluster: Cluster, pod: Pod) -> dict[str, str]:
    """Every literal environment value a pod's containers get (ConfigMaps by envFrom, then env)."""
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(cluster.documents, "ConfigMap")}
    values = {}
    for container in pod.spec.get("containers", []):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                values.update(config_maps.get(source["configMapRef"]["name"], {}))
        values.update({entry["name"]: entry["value"] for entry in container.get("env", []) if "value" in entry})
    return values


def addresses(name: str, value: str) -> list[tuple[str, int | None]]:
    """(host, port) pairs a setting names: bootstrap lists, MongoDB seed lists, URLs."""
    if name == "KAFKA_BOOTSTRAP_SERVERS":
        return [(item.rsplit(":", 1)[0], int(item.rsplit(":", 1)[1]) if ":" in item else None)
                for item in value.split(",")]
    if value.startswith(("mongodb://", "mongodb+srv://")):
        hosts = value.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        return [(item.rsplit(":", 1)[0], int(item.rsplit(":", 1)[1]) if ":" in item else 27017)
                for item in hosts.split(",")]
    if re.match(r"https?://", value):
        url = urlsplit(value)
        return [(url.hostname, url.port or (443 if url.scheme == "https" else 80))]
    return []


def resolve(cluster: Cluster, source: Pod, host: str, port: int | None) -> tuple[list[tuple[Pod, int]], str]:
    """The pods and container port behind host:port, or why there are none."""
    labels = host.split(".")
    namespace = labels[1] if len(labels) > 1 and labels[1] != "svc" else source.namespace
    if namespace != "ybss":
        return [], f"{host} is outside the namespace"
    service = cluster.service(labels[0])
    if service is None:
        return [], f"no Service {labels[0]}"
    ports = [item for item in service["spec"]["ports"] if item["port"] == port]
    if not ports:
        return [], f"Service/{labels[0]} has no port {port}"
    target = ports[0].get("targetPort", port)
    pods = [(pod, pod.port_number(target)) for pod in service_pods(cluster, service)]
    if not pods:
        return [], f"Service/{labels[0]} selects no pod"
    return pods, ""


def caller_flows(cluster: Cluster) -> Iterator[tuple[Pod, str, str, int | None]]:
    """(caller, what, host, port) for every connection the cluster is configured to make."""
    for pod in cluster.pods:
        if pod.namespace != "ybss":
            continue
        for name, value in environment(cluster, pod).items():
            for host, port in addresses(name, value):
                yield pod, f"{pod.source} {name}", host, port
    prometheus, gateway, operator = (next(p for p in cluster.pods if p.namespace == ns)
                                     for ns, _ in (MONITORING, GATEWAY, MONGO_OPERATOR))
    for monitor in of_kind(cluster.documents, "ServiceMonitor"):
        for service in cluster.services:
            if selects(monitor["spec"]["selector"], service["metadata"].get("labels", {})):
                for endpoint in monitor["spec"]["endpoints"]:
                    port = next((p["port"] for p in service["spec"]["ports"] if p.get("name") == endpoint["port"]), None)
                    yield (prometheus, f"ServiceMonitor/{monitor['metadata']['name']}",
                           f"{service['metadata']['name']}.{namespace_of(monitor)}", port)
    for route in of_kind(cluster.documents, "HTTPRoute"):
        for rule in route["spec"]["rules"]:
            for backend in rule.get("backendRefs", []):
                yield (gateway, f"HTTPRoute/{route['metadata']['name']}", f"{backend['name']}.{namespace_of(route)}",
                       backend.get("port"))
    for mongo in of_kind(cluster.documents, "PerconaServerMongoDB"):
        for replset in mongo["spec"]["replsets"]:
            yield (operator, "the MongoDB operator",
                   f"{mongo['metadata']['name']}-{replset['name']}.{namespace_of(mongo)}", 27017)


def unreachable_addresses(cluster: Cluster) -> list[str]:
    problems = []
    for source, what, host, port in caller_flows(cluster):
        targets, why = resolve(cluster, source, host, port)
        if why:
            problems.append(f"{what}: {host}:{port}: {why}")
            continue
        for pod, number in targets:
            if number is None:
                problems.append(f"{what}: {host}:{port} targets a port {pod.source} does not expose")
            elif not allowed(cluster, source, pod, number):
                problems.append(f"{what}: no NetworkPolicy lets {source.namespace}/{source.name} reach "
                                f"{pod.source} on {number}")
    for monitor in of_kind(cluster.documents, "PodMonitor"):
        prometheus = next(p for p in cluster.pods if p.namespace == MONITORING[0])
        for pod in selected(cluster, monitor["spec"]["selector"]):
            for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                number = pod.port_number(endpoint["port"])
                if number is not None and not allowed(cluster, prometheus, pod, number):
                    problems.append(f"PodMonitor/{monitor['metadata']['name']}: no NetworkPolicy lets Prometheus "
                                    f"reach {pod.source} on {number}")
    return problems


# --- 4. every Secret key referenced exists in the documented shape --------------------------------------------------

def secret_references(node, where: str = "") -> Iterator[tuple[str, str | None, str]]:
    """(secret, key or None for the whole Secret, where) for every reference in an object tree."""
    if isinstance(node, list):
        for item in node:
            yield from secret_references(item, where)
        return
    if not isinstance(node, dict):
        return
    if "secretKeyRef" in node:
        yield node["secretKeyRef"]["name"], node["secretKeyRef"]["key"], where
    if "passwordSecretRef" in node:
        yield node["passwordSecretRef"]["name"], node["passwordSecretRef"]["key"], where
    if isinstance(node.get("secret"), dict) and "secretName" in node["secret"]:
        items = node["secret"].get("items")
        for item in items or [{"key": None}]:
            yield node["secret"]["secretName"], item["key"], where
    if "secretRef" in node and isinstance(node["secretRef"], dict):
        yield node["secretRef"]["name"], None, where
    if isinstance(node.get("credentialsSecret"), str):
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            yield node["credentialsSecret"], key, where
    for ref in node.get("certificateRefs", []) if isinstance(node.get("certificateRefs"), list) else []:
        for key in ("tls.crt", "tls.key"):
            yield ref["name"], key, where
    for key, value in node.items():
        yield from secret_references(value, where)


def unknown_secret_keys(cluster: Cluster, shapes: dict[str, dict]) -> list[str]:
    problems = []
    for document in cluster.documents:
        where = f"{document['kind']}/{document['metadata'].get('name')}"
        for secret, key, _ in secret_references(document.get("spec", {})):
            if secret not in shapes:
                problems.append(f"{where} references Secret {secret}, which deploy/k8s documents nowhere")
            elif key is not None and key not in shapes[secret]["keys"]:
                problems.append(f"{where} references key {key!r} of Secret {secret}; its documented keys are "
                                f"{shapes[secret]['keys']}")
    return problems


# --- 5. images pinned ------------------------------------------------------------------------------------------------

PINNED = re.compile(r"^[\w./:-]+(@sha256:[0-9a-f]{64}|:(?!latest$)[\w.-]*\d[\w.-]*(@sha256:[0-9a-f]{64})?)$")


def images(node) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from images(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("image", "initImage") and isinstance(value, str):
                yield value
            else:
                yield from images(value)


def unpinned_images(cluster: Cluster) -> list[str]:
    return [f"{document['kind']}/{document['metadata'].get('name')}: image {image!r} is not pinned (a digest or a "
            "fixed version tag, never latest)" for document in cluster.documents
            for image in images(document.get("spec", {})) if not PINNED.match(image)]


# --- 6. Pod Security ---------------------------------------------------------------------------------------------

BASELINE_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                    "projected", "secret"}


def restricted_violations(pod: Pod) -> list[str]:
    """The Pod Security Standard "restricted" (which includes "baseline"), as the admission controller checks it."""
    spec, problems = pod.spec, []
    pod_context = spec.get("securityContext", {}) or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(f"{flag} is set")
    for volume in spec.get("volumes", []):
        kind = next((key for key in volume if key != "name"), None)
        if kind not in BASELINE_VOLUMES:
            problems.append(f"volume {volume['name']} is of type {kind}")
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        context, name = container.get("securityContext", {}) or {}, container["name"]
        if context.get("privileged"):
            problems.append(f"{name}: privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            problems.append(f"{name}: capabilities do not drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities {capabilities['add']}")
        if not context.get("runAsNonRoot", pod_context.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot is not true")
        if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
            problems.append(f"{name}: runs as user 0")
        seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{name}: seccompProfile is {seccomp}, not RuntimeDefault or Localhost")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            problems.append(f"{name}: uses a host port")
    return problems


def pod_security_violations(cluster: Cluster) -> list[str]:
    problems = []
    for pod in cluster.pods:
        level = cluster.namespaces.get(pod.namespace, {}).get("pod-security.kubernetes.io/enforce")
        if pod.namespace == "ybss" and level != "restricted":
            problems.append(f"namespace {pod.namespace} enforces {level!r}, not restricted")
            continue
        if level == "restricted":
            problems += [f"{pod.source} ({pod.name}): {problem}" for problem in restricted_violations(pod)]
    return sorted(set(problems))


# --- 7. PromQL valid -------------------------------------------------------------------------------------------------

def invalid_promql(cluster: Cluster, promtool: str, workdir) -> list[str]:
    """``promtool check rules`` on every PrometheusRule's groups (PromQL, durations, templates)."""
    import json
    import subprocess

    problems = []
    for rule in of_kind(cluster.documents, "PrometheusRule"):
        path = workdir / f"{rule['metadata']['name']}.rules.json"  # JSON is YAML to promtool
        path.write_text(json.dumps({"groups": rule["spec"]["groups"]}))
        result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            problems.append(f"PrometheusRule/{rule['metadata']['name']}: {(result.stdout + result.stderr).strip()}")
    return problems
