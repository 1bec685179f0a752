"""The fuzzer's server-error check, as the project's rules put it (loaded by scripts/fuzz_api.sh through
SCHEMATHESIS_HOOKS): any 5xx is a failure except a 503 that carries Retry-After, which is the documented answer
for a dependency that cannot answer yet (MongoDB or Kafka unreachable, or a read-your-writes wait on another
context's stream that ran out: docs/SECURITY.md "What is left")."""

import schemathesis
from hypothesis import strategies as st


@schemathesis.check
def no_unexplained_server_error(ctx, response, case):
    retry_later = response.status_code == 503 and any(name.lower() == "retry-after" for name in response.headers)
    if response.status_code >= 500 and not retry_later:
        raise AssertionError(f"server error {response.status_code} without Retry-After: {response.text[:300]}")


# 采集表 uploads (POST /v1/ingest/{agency}/imports) take a raw xlsx body, which schemathesis cannot build from a
# schema: any bytes, a zip that is not a workbook, and nothing at all. The importer must answer each with 4xx.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
schemathesis.openapi.media_type(XLSX, st.one_of(
    st.binary(max_size=4096),
    st.just(b"PK\x05\x06" + b"\x00" * 18),  # an empty zip archive
    st.just(b""),
))
