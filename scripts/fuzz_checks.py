"""The fuzzer's server-error check, as the project's rules put it (loaded by scripts/fuzz_api.sh through
SCHEMATHESIS_HOOKS): any 5xx is a failure except a 503 that carries Retry-After, which is the documented answer
for a dependency that cannot answer yet (MongoDB or Kafka unreachable, or a read-your-writes wait on another
context's stream that ran out: docs/SECURITY.md "What is left")."""

import schemathesis


@schemathesis.check
def no_unexplained_server_error(ctx, response, case):
    retry_later = response.status_code == 503 and any(name.lower() == "retry-after" for name in response.headers)
    if response.status_code >= 500 and not retry_later:
        raise AssertionError(f"server error {response.status_code} without Retry-After: {response.text[:300]}")
