#!/usr/bin/env bash
# Property-based fuzzing of the address API from its own OpenAPI document (schemathesis): no input may
# produce a server error. Needs the local stack (`make up`); starts and stops its own address service.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=deploy/local/.work/fuzz-venv
[ -x "$TOOLS/bin/schemathesis" ] || { python3.11 -m venv "$TOOLS" && "$TOOLS/bin/pip" install -q schemathesis==4.32.5; }
PORT="${YBSS_FUZZ_PORT:-18001}"
export YBSS_NAMESPACE="${YBSS_NAMESPACE:-fuzz$RANDOM}" YBSS_PORT="$PORT" YBSS_LOG_LEVEL=WARNING
.venv/bin/python -m services.address > deploy/local/.work/logs/fuzz-address.log 2>&1 &
SERVICE=$!
cleanup() {
  kill $SERVICE 2>/dev/null; wait $SERVICE 2>/dev/null || true
  .venv/bin/python -c "import asyncio; from services.kernel.namespaces import drop_namespace; \
from services.kernel.settings import get_settings; asyncio.run(drop_namespace(get_settings()))" || true
}
trap cleanup EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
TOKEN=$(.venv/bin/ybss token --role admin --org 532503)
"$TOOLS/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error --max-examples "${YBSS_FUZZ_EXAMPLES:-40}" --workers 2
