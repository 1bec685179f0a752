"""Issue 16, "tokens and identities", played against the running person service on the real stack.

Before: tokens were HS256 with a secret committed in the repository, so anyone could mint any token; ``org`` was
any string (``org=5`` covered five provinces); there was no audience, no lifetime cap (a ten-year token worked), an
open alert stream outlived its token, and the ingest service minted itself agency tokens with the same secret.
Each test replays one of those and asserts a 401 (or a closed stream) that says why.
"""

from __future__ import annotations

import json
import time

import httpx
import jwt
import pytest

from services.kernel.web.auth import mint_service_token, mint_token
from services.kernel.base.devkeys import USER_KEY, ensure_dev_keys, service_key_name
from services.kernel.base.keys import KeySourceError, load_private_key
from services.kernel.base.settings import LOCAL_DEV_JWT_SECRET, Settings, get_settings
from tests.integration.test_person_api import person_client  # noqa: F401 - the fixture
from tests.integration.test_watch_alerts import person_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration
ALERTS = "/v1/watch/alerts"


def forged(key, kid: str, algorithm: str = "EdDSA", **claims) -> dict:
    """A bearer header for a token with these claims over a valid police token's, signed by ``key``."""
    now = int(time.time())
    body = {"sub": "PC-1", "role": "police", "org": "532503", "iss": "ybss", "aud": "ybss", "iat": now,
            "exp": now + 600, "channel": "web", **claims}
    token = jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm,
                       headers={"kid": kid})
    return {"Authorization": f"Bearer {token}"}


def user_key():
    return load_private_key(str(ensure_dev_keys() / USER_KEY))


async def refused(client: httpx.AsyncClient, headers: dict) -> str:
    response = await client.get(ALERTS, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return response.json()["detail"]


async def test_a_valid_token_still_reads_the_alert_list(person_client):  # noqa: F811
    response = await person_client.get(ALERTS, headers={"Authorization": "Bearer " + mint_token("PC-1", "police",
                                                                                                "532503")})
    assert response.status_code == 200, response.text


async def test_org_5_or_an_unknown_code_is_401_naming_the_claim(person_client):  # noqa: F811
    for org in ("5", "00", "53250399"):
        assert "'org' claim" in await refused(person_client, forged(user_key(), "dev-user", org=org))


async def test_a_retired_division_code_still_works(person_client):  # noqa: F811
    response = await person_client.get(ALERTS, headers=forged(user_key(), "dev-user", org="532522"))  # 蒙自县
    assert response.status_code == 200, response.text


async def test_a_token_without_audience_or_for_another_audience_is_401(person_client):  # noqa: F811
    assert "lacks the 'aud' claim" in await refused(person_client, forged(user_key(), "dev-user", aud=None))
    assert "'aud' claim must be 'ybss'" in await refused(person_client, forged(user_key(), "dev-user", aud="other"))
    assert "lacks the 'iss' claim" in await refused(person_client, forged(user_key(), "dev-user", iss=None))


async def test_a_ten_year_token_is_401_naming_the_limit(person_client):  # noqa: F811
    now = int(time.time())
    detail = await refused(person_client, forged(user_key(), "dev-user", iat=now, exp=now + 10 * 365 * 86400))
    assert "exceeds the maximum 43200 s" in detail and "YBSS_JWT_MAX_TTL_SECONDS" in detail
    assert "lacks the 'iat' claim" in await refused(person_client, forged(user_key(), "dev-user", iat=None))


async def test_an_hmac_token_signed_with_the_once_committed_secret_is_401(person_client):  # noqa: F811
    """The old development secret was in the repository: with it anyone minted an admin token for anywhere."""
    detail = await refused(person_client, forged(LOCAL_DEV_JWT_SECRET, "dev-user", "HS256", role="admin", org="53"))
    assert "'HS256'" in detail and "HMAC" in detail


async def test_a_token_signed_by_an_unpublished_key_is_401_naming_its_kid(person_client):  # noqa: F811
    from cryptography.hazmat.primitives.asymmetric import ed25519

    detail = await refused(person_client, forged(ed25519.Ed25519PrivateKey.generate(), "idp-stolen-laptop"))
    assert "'idp-stolen-laptop' is unknown" in detail


async def test_the_ingest_service_cannot_mint_a_user_token(person_client):  # noqa: F811
    """The ingest pod holds only its own key: what it signs is its service identity, and nothing else passes."""
    ingest_key = load_private_key(str(ensure_dev_keys() / service_key_name("ingest")))
    detail = await refused(person_client, forged(ingest_key, "svc-ingest.dev", sub="ingest"))
    assert "may sign only role 'service'" in detail
    detail = await refused(person_client, forged(ingest_key, "svc-ingest.dev", role="agency", sub="mzs-hotels"))
    assert "may sign only role 'service'" in detail
    # its own identity passes authentication but may only do what a service may (the address matcher)
    own = {"Authorization": "Bearer " + mint_service_token("ingest", "532503", on_behalf_of="mzs-hotels")}
    response = await person_client.get(ALERTS, headers=own)
    assert response.status_code == 403 and "role 'service' may not watch.read" in response.json()["detail"]
    # outside local mode it has no user key at all: signing a user token is impossible, not just refused
    pod = Settings(environment="production", service_key_file=str(ensure_dev_keys() / service_key_name("ingest")))
    with pytest.raises(KeySourceError, match="YBSS_JWT_PRIVATE_KEY_FILE"):
        mint_token("PC-1", "police", "532503", pod)


async def test_an_open_alert_stream_ends_when_its_token_expires(person_server):  # noqa: F811
    """Before: the stream stayed open for as long as the client liked, whatever the token's exp said."""
    token = mint_token("PC-1", "police", "532503", get_settings(), ttl_seconds=4)
    events: list[tuple[str | None, str]] = []
    async with httpx.AsyncClient(base_url=person_server, timeout=httpx.Timeout(90.0)) as client:
        async with client.stream("GET", ALERTS + "/stream", headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status_code == 200
            event = None
            async for line in response.aiter_lines():  # the server ends the stream; the timeout is only a guard
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    events.append((event, line.split(":", 1)[1].strip()))
    assert events and events[-1][0] == "end", events
    final = json.loads(events[-1][1])
    assert final["reason"] == "token_expired" and "expired" in final["detail"]
    assert time.time() >= jwt.decode(token, options={"verify_signature": False})["exp"]
