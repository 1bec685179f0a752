#!/usr/bin/env bash
# Install the pinned tools that render and validate deploy/k8s, once per machine, into ~/.cache/ybss-tools:
#   kustomize            go install from the Go module proxy (renders the overlays)
#   kubernetes-validate  pip install --target from PyPI (Kubernetes' JSON Schemas, strict; brings jsonschema and
#                        PyYAML, which the generator and the CRD validation use too)
# Prints two lines, KUSTOMIZE=<binary> and K8S_PYTHONPATH=<dir>, for the callers (tests/deploy, the Makefile).
#
# `tools.sh promtool` instead installs only promtool (go install from the Go module proxy; Prometheus 3.16.0 is the
# Go module version v0.316.0) and prints PROMTOOL=<binary>. Its first build takes ~7 minutes on 2 busy cores (a
# large module graph), so it has its own lock and only the PromQL tests wait for it.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.2              # v5.8.3 needs Go 1.27; this machine has 1.26
PROMTOOL_VERSION=v0.316.0             # Prometheus v3.16.0 (its Go module is versioned v0.3xx)
KUBERNETES_VALIDATE_VERSION=1.37.0    # bundles the schemas of Kubernetes 1.25-1.37
CACHE="${YBSS_TOOLS_CACHE:-$HOME/.cache/ybss-tools}"
PYTHON="${PYTHON:-$(cd "$(dirname "$0")/../.." && pwd)/.venv/bin/python}"

KUSTOMIZE="$CACHE/bin/kustomize-$KUSTOMIZE_VERSION"
PROMTOOL="$CACHE/bin/promtool-$PROMTOOL_VERSION"
PYDIR="$CACHE/python/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
mkdir -p "$CACHE/bin" "$CACHE/python"

if [[ "${1:-}" == promtool ]]; then
    exec 8>"$CACHE/.lock-promtool"
    flock 8  # two test runs at once build once
    if [[ ! -x "$PROMTOOL" ]]; then
        command -v go >/dev/null || { echo "tools.sh: Go is needed to install promtool (go install)" >&2; exit 1; }
        staging="$(mktemp -d "$CACHE/bin/.promtool.XXXXXX")"
        echo "tools.sh: installing promtool $PROMTOOL_VERSION (go install, once; minutes)" >&2
        GOBIN="$staging" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install \
            "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >&2
        mv "$staging/promtool" "$PROMTOOL"
        rmdir "$staging"
    fi
    echo "PROMTOOL=$PROMTOOL"
    exit 0
fi

exec 9>"$CACHE/.lock"
flock 9  # two test runs at once install once

if [[ ! -x "$KUSTOMIZE" ]]; then
    command -v go >/dev/null || { echo "tools.sh: Go is needed to install kustomize (go install)" >&2; exit 1; }
    staging="$(mktemp -d "$CACHE/bin/.kustomize.XXXXXX")"
    echo "tools.sh: installing kustomize $KUSTOMIZE_VERSION (go install, once)" >&2
    GOBIN="$staging" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
    mv "$staging/kustomize" "$KUSTOMIZE"
    rmdir "$staging"
fi

if [[ ! -f "$PYDIR/.installed" ]]; then
    [[ -x "$PYTHON" ]] || PYTHON=python3.11
    staging="$(mktemp -d "$CACHE/python/.kv.XXXXXX")"
    echo "tools.sh: installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (pip --target, once)" >&2
    "$PYTHON" -m pip install -q --disable-pip-version-check --no-compile --target "$staging" \
        "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
    touch "$staging/.installed"
    rm -rf "$PYDIR"
    mv "$staging" "$PYDIR"
fi

echo "KUSTOMIZE=$KUSTOMIZE"
echo "K8S_PYTHONPATH=$PYDIR"
