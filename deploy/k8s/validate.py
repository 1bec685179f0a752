"""Render every overlay with kustomize and validate each object strictly (unknown fields are errors).

Kubernetes' own kinds against the JSON Schemas that PyPI's kubernetes-validate bundles; the operators' kinds
(Strimzi, Percona, Prometheus Operator) against their CRDs converted into schemas/ (schemas/regenerate.py).
A kind with no schema is an error, not a skip. Run with the tools' PYTHONPATH (tools.sh prints it):

    python deploy/k8s/validate.py --kustomize <binary>            # every overlay; exit 1 on any error
    python deploy/k8s/validate.py --kustomize <binary> --dump production   # the rendered objects as JSON
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
OVERLAYS = sorted(path.name for path in (HERE / "overlays").iterdir() if (path / "kustomization.yaml").exists())
KUBERNETES_VERSION = "1.33"  #: the oldest version the platform runs; newer API servers accept these objects too


def render(kustomize: str, overlay: str) -> list[dict]:
    output = subprocess.run([kustomize, "build", str(HERE / "overlays" / overlay)], check=True,
                            capture_output=True, text=True).stdout
    return [document for document in yaml.safe_load_all(output) if document]


@cache
def crd_validator(api_version: str, kind: str):
    group, _, version = api_version.rpartition("/")
    path = HERE / "schemas" / f"{group}_{kind.lower()}_{version}.json"
    if not group or not path.exists():
        return None
    schema = json.loads(path.read_text())
    return jsonschema.Draft4Validator(schema)


def errors_of(document: dict) -> list[str]:
    name = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
    validator = crd_validator(document.get("apiVersion", ""), document.get("kind", ""))
    if validator is not None:
        return [f"{name}: {'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
                for error in validator.iter_errors(document)]
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no schema for {document.get('apiVersion')} {document.get('kind')}"]
    except kubernetes_validate.ValidationError as error:
        return [f"{name}: {'.'.join(map(str, error.path)) or '(root)'}: {error.message}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="render and validate deploy/k8s")
    parser.add_argument("--kustomize", required=True)
    parser.add_argument("--dump", choices=OVERLAYS, help="print the overlay's rendered objects as JSON instead")
    args = parser.parse_args(argv)
    if args.dump:
        json.dump(render(args.kustomize, args.dump), sys.stdout)
        return 0
    failures = 0
    for overlay in OVERLAYS:
        documents = render(args.kustomize, overlay)
        problems = [problem for document in documents for problem in errors_of(document)]
        failures += len(problems)
        print(f"{overlay}: {len(documents)} objects, {len(problems)} errors")
        for problem in problems:
            print(f"  {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
