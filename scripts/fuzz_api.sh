#!/usr/bin/env bash
# Property-based fuzzing of every service's API from its own OpenAPI document (schemathesis): no input may
# produce a server error. The contexts come from the registry (contracts/contexts.py); `make fuzz CONTEXTS=person`
# narrows it. Needs the local stack (`make up`); starts and stops its own services in a namespace of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=deploy/local/.work/fuzz-venv
[ -x "$TOOLS/bin/schemathesis" ] || { python3.11 -m venv "$TOOLS" && "$TOOLS/bin/pip" install -q schemathesis==4.32.5; }
mkdir -p deploy/local/.work/logs
export YBSS_NAMESPACE="${YBSS_NAMESPACE:-fuzz$RANDOM}" YBSS_LOG_LEVEL=WARNING YBSS_ENVIRONMENT=local
CONTEXTS="${CONTEXTS:-$(.venv/bin/python -c 'from contracts.contexts import names; print(" ".join(names()))')}"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
  .venv/bin/python -c "import asyncio; from services.kernel.operations.namespaces import drop_namespace; \
from services.kernel.base.settings import get_settings; asyncio.run(drop_namespace(get_settings()))" || true
}
trap cleanup EXIT
TOKEN=$(.venv/bin/ybss token --role admin --org 532503)
status=0
for context in $CONTEXTS; do
  port=$(.venv/bin/python -c "from contracts.contexts import context; print(context('$context').port + 10000)")
  YBSS_PORT="$port" .venv/bin/python -m "services.$context" > "deploy/local/.work/logs/fuzz-$context.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 90); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
  echo "== fuzzing $context on :$port"
  SCHEMATHESIS_HOOKS=scripts/fuzz_checks.py "$TOOLS/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $TOKEN" --checks no_unexplained_server_error --max-examples "${YBSS_FUZZ_EXAMPLES:-40}" --workers 2 || status=1
done
exit $status
