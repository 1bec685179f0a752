"""Regenerate the operators' CRDs as strict JSON Schemas, vendored here so validation needs no network.

Run with the tools' PYTHONPATH (it needs PyYAML): ``make k8s-schemas``. Sources, all pinned:
- Strimzi 1.2.0 (Kafka, KafkaNodePool, KafkaTopic, KafkaUser): ../shared/k8s-crds/strimzi (Strimzi is on no
  package registry reachable here);
- Percona Operator for MongoDB v1.22.0 (PerconaServerMongoDB): the Go module, ``config/crd/bases``;
- Prometheus Operator v0.85.0 (ServiceMonitor, PodMonitor, PrometheusRule): the Go module,
  ``example/prometheus-operator-crd``;
- Gateway API v1.6.1, standard channel (Gateway, HTTPRoute): the Go module, ``config/crd/standard``;
- Envoy Gateway v1.9.1 (BackendTrafficPolicy: request-size limits): the Go module, its CRD chart.

Conversion follows what the API server itself enforces: an object with ``properties`` refuses unknown fields
unless marked ``x-kubernetes-preserve-unknown-fields``; ``nullable`` allows null; int-or-string is either.
Descriptions, defaults and formats are dropped to keep the files small.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SHARED_STRIMZI = REPO.parent / "shared" / "k8s-crds" / "strimzi"
GO_MODULES = {
    "github.com/percona/percona-server-mongodb-operator@v1.22.0": [
        "config/crd/bases/psmdb.percona.com_perconaservermongodbs.yaml",
    ],
    "github.com/prometheus-operator/prometheus-operator@v0.85.0": [
        "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
        "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml",
        "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
    ],
    "sigs.k8s.io/gateway-api@v1.6.1": [
        "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
        "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
    ],
    "github.com/envoyproxy/gateway@v1.9.1": [
        "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
    ],
}
STRIMZI_FILES = ["040-Crd-kafka.yaml", "043-Crd-kafkatopic.yaml", "044-Crd-kafkauser.yaml",
                 "045-Crd-kafkanodepool.yaml"]
DROPPED = {"description", "default", "format", "example", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
           "x-kubernetes-map-type", "x-kubernetes-validations", "x-kubernetes-embedded-resource"}


def schema_name(group: str, kind: str, version: str) -> str:
    return f"{group}_{kind.lower()}_{version}.json"


def strict(node):
    """OpenAPI v3 (as CRDs write it) to JSON Schema draft 4, refusing unknown fields like the API server."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items()
           if key not in DROPPED and key not in {"nullable", "x-kubernetes-int-or-string",
                                                  "x-kubernetes-preserve-unknown-fields"}}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in node and "additionalProperties" not in node and not node.get(
            "x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def crd_schemas(crd: dict) -> dict[str, dict]:
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    schemas = {}
    for version in crd["spec"]["versions"]:
        if not version.get("served"):
            continue
        schema = strict(version["schema"]["openAPIV3Schema"])
        schema.setdefault("properties", {}).update({
            "apiVersion": {"enum": [f"{group}/{version['name']}"]},
            "kind": {"enum": [kind]},
            "metadata": {"type": "object"},
        })
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
        schema["additionalProperties"] = False
        schema["$schema"] = "http://json-schema.org/draft-04/schema#"
        schemas[schema_name(group, kind, version["name"])] = schema
    return schemas


def module_dir(module: str) -> Path:
    reply = subprocess.run(["go", "mod", "download", "-json", module], check=True, capture_output=True, text=True,
                           env={**os.environ, "GOFLAGS": "-mod=mod"})
    return Path(json.loads(reply.stdout)["Dir"])


def sources() -> list[Path]:
    paths = [SHARED_STRIMZI / name for name in STRIMZI_FILES]
    for module, files in GO_MODULES.items():
        root = module_dir(module)
        paths.extend(root / name for name in files)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (tests compare a fresh copy)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources():
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            for name, schema in crd_schemas(document).items():
                (args.out / name).write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n")
                written.append(name)
    print(f"wrote {len(written)} schemas to {args.out}: {', '.join(sorted(written))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
