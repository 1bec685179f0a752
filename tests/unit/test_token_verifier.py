"""The bearer-token verifier (services.kernel.web.auth, keys): public keys from a JWKS file or URL, rotation by kid,
the required claims, the lifetime cap, the org against the division table, service identities, and the refusal
to start outside local mode without real keys."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi import HTTPException

from services.kernel.base import keys as key_module
from services.kernel.web.auth import decode_token, mint_service_token, mint_token
from services.kernel.base.keys import KeySet, KeySourceError
from services.kernel.base.settings import Settings
from tests.keyring import Keyring, public_jwk


@pytest.fixture
def ring(tmp_path) -> Keyring:
    return Keyring(tmp_path).add("idp-1").add("idp-2", "ES256").add("svc-ingest")


def refused(token: str, settings: Settings) -> str:
    with pytest.raises(HTTPException) as error:
        decode_token(token, settings)
    assert error.value.status_code == 401
    return error.value.detail


def test_both_keys_of_a_jwks_verify_and_the_claims_come_through(ring):
    settings = ring.settings("idp-1")
    claims = decode_token(mint_token("PC-7", "supervisor", "532503", settings), settings)
    assert (claims["sub"], claims["role"], claims["org"], claims["aud"]) == ("PC-7", "supervisor", "532503", "ybss")
    assert decode_token(ring.sign("idp-2", sub="PC-8"), settings)["sub"] == "PC-8"  # ES256 beside EdDSA


def test_an_unknown_kid_is_401_naming_it_until_the_key_is_published(ring):
    settings = ring.settings()
    ring.add("idp-3")
    ring.publish("idp-1", "idp-2")  # rotated out (or never in)
    assert "'idp-3' is unknown" in refused(ring.sign("idp-3"), settings)
    ring.publish("idp-1", "idp-2", "idp-3")  # rotation: the new key is published beside the old ones
    assert decode_token(ring.sign("idp-3"), settings)["sub"] == "PC-1"


@pytest.mark.parametrize("claim", ["aud", "iss", "iat", "exp", "sub"])
def test_each_required_claim_missing_is_401_naming_it(ring, claim):
    assert f"'{claim}'" in refused(ring.sign("idp-1", **{claim: None}), ring.settings())


def test_audience_and_issuer_must_be_ours(ring):
    assert "'aud' claim must be 'ybss'" in refused(ring.sign("idp-1", aud="another-system"), ring.settings())
    assert "'iss' claim must be 'ybss'" in refused(ring.sign("idp-1", iss="someone"), ring.settings())


def test_a_lifetime_above_the_cap_is_401_and_the_cap_is_a_setting(ring):
    now = int(time.time())
    ten_years = ring.sign("idp-1", iat=now, exp=now + 10 * 365 * 86400)
    assert "exceeds the maximum 43200 s" in refused(ten_years, ring.settings())
    two_hours = ring.sign("idp-1", iat=now, exp=now + 7200)
    assert decode_token(two_hours, ring.settings())["sub"] == "PC-1"
    assert "YBSS_JWT_MAX_TTL_SECONDS" in refused(two_hours, ring.settings(jwt_max_ttl_seconds=3600))


@pytest.mark.parametrize("org", ["5", "00", "999999", "53250300000", "532503000000", "", "蒙自"])
def test_an_org_outside_the_division_table_is_401_naming_the_claim(ring, org):
    assert "'org'" in refused(ring.sign("idp-1", org=org), ring.settings())


@pytest.mark.parametrize("org", ["53", "5325", "532503", "532503001", "532522"])
def test_division_codes_and_retired_codes_are_valid_orgs(ring, org):
    assert decode_token(ring.sign("idp-1", org=org), ring.settings())["org"] == org


def test_hmac_and_unsigned_tokens_are_refused_by_algorithm(ring):
    guessed = jwt.encode({"sub": "x", "role": "admin", "org": "53"}, "ybss-secret-guess-" * 3, algorithm="HS256",
                         headers={"kid": "idp-1"})
    assert "'HS256'" in refused(guessed, ring.settings())
    unsigned = jwt.encode({"sub": "x", "role": "admin", "org": "53"}, None, algorithm="none")
    assert "'none'" in refused(unsigned, ring.settings())
    confused = jwt.encode({"sub": "x"}, ring.keys["idp-1"], algorithm="EdDSA", headers={"kid": "idp-2"})
    assert "key 'idp-2' is ES256" in refused(confused, ring.settings())


def test_a_token_without_kid_is_401(ring):
    token = jwt.encode({"sub": "x"}, ring.keys["idp-1"], algorithm="EdDSA")
    assert "'kid'" in refused(token, ring.settings())


def test_a_service_key_signs_only_its_own_service_identity(ring):
    settings = ring.settings(service_kid="svc-ingest")
    claims = decode_token(mint_service_token("ingest", "532503", settings, on_behalf_of="mzs-hotels"), settings)
    assert (claims["role"], claims["sub"], claims["on_behalf_of"]) == ("service", "ingest", "mzs-hotels")
    assert "may sign only role 'service'" in refused(ring.sign("svc-ingest", role="police"), settings)
    assert "with sub 'ingest'" in refused(ring.sign("svc-ingest", role="service", sub="person"), settings)
    assert "only from a service key" in refused(ring.sign("idp-1", role="service", sub="ingest"), settings)


def test_a_signing_key_whose_public_half_is_not_published_is_an_error_not_a_refused_token(ring, tmp_path):
    ring.publish("idp-2")
    with pytest.raises(KeySourceError, match="not in the JWKS"):
        mint_token("PC-1", "police", "532503", ring.settings("idp-1"))


def test_a_jwks_url_is_cached_and_fetched_again_for_an_unknown_kid(ring, monkeypatch):
    published = {"keys": [public_jwk(ring.keys["idp-1"], "idp-1")]}
    fetches = []

    class Response:
        def raise_for_status(self):
            return None

        def json(self):
            return published

    def get(url, timeout):
        fetches.append(url)
        return Response()

    monkeypatch.setattr(key_module.httpx, "get", get)
    settings = Settings(environment="local", jwt_jwks_url="https://idp.example/jwks-unit-test")
    decode_token(ring.sign("idp-1"), settings)
    decode_token(ring.sign("idp-1"), settings)
    assert len(fetches) == 1, "a known kid is served from the cache"
    published["keys"].append(public_jwk(ring.keys["idp-2"], "idp-2"))
    assert decode_token(ring.sign("idp-2"), settings)["sub"] == "PC-1"
    assert len(fetches) == 2, "an unknown kid fetches the JWKS once more"
    assert "'forged' is unknown" in refused(jwt.encode({"sub": "x"}, ring.keys["idp-1"], algorithm="EdDSA",
                                                       headers={"kid": "forged"}), settings)
    assert len(fetches) == 2, "a flood of unknown kids does not become a flood of fetches"


def test_a_jwks_key_with_an_algorithm_we_refuse_is_a_configuration_error(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text('{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}')
    with pytest.raises(KeySourceError, match="hmac"):
        KeySet(str(path), None).keys()


def test_outside_local_mode_the_reasons_to_refuse_are_named(ring, tmp_path):
    from services.kernel.base.devkeys import JWKS, ensure_dev_keys

    assert any("no JWKS" in reason for reason in Settings(environment="production").insecure_reasons("person"))
    development = Settings(environment="production", jwt_jwks_file=str(ensure_dev_keys() / JWKS))
    assert any("development keys" in reason for reason in development.insecure_reasons("person"))
    legacy = ring.settings(environment="production", jwt_secret="x" * 40)
    assert any("YBSS_JWT_SECRET" in reason for reason in legacy.insecure_reasons("person"))
    assert any("YBSS_SERVICE_KEY_FILE" in reason for reason in ring.settings(environment="production")
               .insecure_reasons("ingest"))
    assert ring.settings(service_kid="svc-ingest", environment="production").insecure_reasons("ingest") == []


def test_development_keys_are_made_once_and_marked_as_such(tmp_path):
    from services.kernel.base.devkeys import JWKS, ensure_dev_keys
    from services.kernel.base.keys import is_development_kid

    made = ensure_dev_keys(tmp_path / "keys")
    first = (made / JWKS).read_text()
    assert ensure_dev_keys(tmp_path / "keys") == made and (made / JWKS).read_text() == first, "never replaced"
    kids = list(KeySet(str(made / JWKS), None).keys())
    assert kids == ["dev-user", "svc-ingest.dev"] and all(is_development_kid(kid) for kid in kids)
    assert (made / "user.pem").stat().st_mode & 0o077 == 0, "private keys are readable by their owner only"


async def test_a_jwks_url_is_fetched_off_the_event_loop(ring, monkeypatch):
    import threading

    from services.kernel.web.auth import _fetch_keys_off_loop

    threads = []

    class Response:
        def raise_for_status(self):
            return None

        def json(self):
            return {"keys": [public_jwk(ring.keys["idp-1"], "idp-1")]}

    def get(url, timeout):
        threads.append(threading.current_thread())
        return Response()

    monkeypatch.setattr(key_module.httpx, "get", get)
    settings = Settings(environment="local", jwt_jwks_url="https://idp.example/jwks-off-loop")
    token = ring.sign("idp-1")
    await _fetch_keys_off_loop(token, settings)
    assert threads and threads[0] is not threading.main_thread()
    assert decode_token(token, settings)["sub"] == "PC-1" and len(threads) == 1, "then served from the cache"


def test_a_token_issued_in_the_future_cannot_stretch_the_lifetime_cap(ring):
    """iat a year ahead with exp 1 h after it would pass the exp - iat check: it is 'not yet valid' instead."""
    now = int(time.time())
    token = ring.sign("idp-1", iat=now + 365 * 86400, exp=now + 365 * 86400 + 3600)
    assert "not yet valid (iat)" in refused(token, ring.settings())
