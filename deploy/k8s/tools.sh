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

go_install() {  # <binary name> <module@version> <destination>: build into a staging folder, then move in place
    command -v go >/dev/null || { echo "tools.sh: Go is needed to install $1 (go install)" >&2; exit 1; }
    local staging
    staging="$(mktemp -d "$CACHE/bin/.$1.XXXXXX")"
    echo "tools.sh: installing $2 (go install, once)" >&2
    GOBIN="$staging" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "$2" >&2
    mv "$staging/$1" "$3"
    rmdir "$staging"
}

if [[ "${1:-}" == promtool ]]; then
    exec 8>"$CACHE/.lock-promtool"
    flock 8  # two test runs at once build once
    [[ -x "$PROMTOOL" ]] || go_install promtool "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" "$PROMTOOL"
    echo "PROMTOOL=$PROMTOOL"
    exit 0
fi

exec 9>"$CACHE/.lock"
flock 9  # two test runs at once install once

[[ -x "$KUSTOMIZE" ]] || go_install kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" "$KUSTOMIZE"

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
