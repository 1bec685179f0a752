"""Small lookups over rendered Kubernetes objects (plain dicts)."""

from __future__ import annotations


def of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [document for document in documents if document["kind"] == kind]


def named(documents: list[dict], kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in of_kind(documents, kind)}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def env(container: dict) -> dict[str, dict]:
    """Each env entry by name (the whole entry, so value and valueFrom both show)."""
    return {entry["name"]: entry for entry in container.get("env", [])}


def config_map(documents: list[dict], name: str = "ybss-config") -> dict[str, str]:
    """A generated ConfigMap by its base name (kustomize appends a hash of the content: ybss-config-<hash>)."""
    maps = named(documents, "ConfigMap")
    return next(maps[key] for key in maps if key == name or key.rsplit("-", 1)[0] == name)["data"]


def selects(selector: dict, labels: dict) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) matches a set of labels."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if (operator == "In" and labels.get(key) not in values) or (operator == "NotIn" and labels.get(key) in values) \
                or (operator == "Exists" and not present) or (operator == "DoesNotExist" and present):
            return False
    return True
