"""Bearer-JWT authentication: every API but health and metrics knows who is acting.

The token's subject, role and organisation code become the envelope's actor, so every stored fact says who
caused it. Tokens are signed with an asymmetric key (ES256 or EdDSA) and services verify them with public keys
only (services.kernel.base.keys: a JWKS file or URL, rotation by ``kid``), so no service can mint a user token.
A token must name our issuer and audience, carry ``iat`` and live at most ``YBSS_JWT_MAX_TTL_SECONDS``, and its
``org`` must be a division code of the shipped table. Locally ``ybss token`` signs with the development key
(services.kernel.base.devkeys). A service acting on its own behalf (the ingest service asking the address matcher)
signs with its own key, published as ``svc-<service>``: such a key may sign role ``service`` for itself only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import lru_cache
from pathlib import Path

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts import divisions
from contracts.envelope import Actor, Channel
from services.kernel.base.keys import (
    ALGORITHMS, KeySourceError, SigningKey, UnknownKey, keyset, service_of, signing_key,
)
from services.kernel.base.settings import Settings, get_settings

#: ``service`` is a service's own identity (kid ``svc-<service>``), allowed only where docs/AUTHORIZATION.md says
ROLES = ("collector", "police", "supervisor", "agency", "admin", "service")
USER_ROLES = ROLES[:-1]
SERVICE_ROLE = "service"

_bearer = HTTPBearer(auto_error=False, description="JWT from `ybss token` locally, the identity provider in production")


def _keys(settings: Settings):
    file, url = settings.jwks_source()
    return keyset(file, url, settings.jwt_jwks_cache_seconds)


@lru_cache(maxsize=16)
def _signing_key(path: str, file: str | None, url: str | None, cache_seconds: float, _version: float) -> SigningKey:
    return signing_key(path, keyset(file, url, cache_seconds))


def _signer(path: str | None, settings: Settings, setting: str) -> SigningKey:
    if not path:
        raise KeySourceError(f"no private key to sign with: set {setting} (outside local mode user tokens come "
                             "from the identity provider)")
    file, url = settings.jwks_source()
    try:
        version = Path(path).stat().st_mtime
    except OSError as error:
        raise KeySourceError(f"{setting} {path} unreadable: {error}") from None
    return _signing_key(path, file, url, settings.jwt_jwks_cache_seconds, version)


def _sign(claims: dict, key: SigningKey) -> str:
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid})


def _claims(subject: str, role: str, organisation_code: str, settings: Settings, ttl_seconds: int) -> dict:
    now = int(time.time())
    return {"sub": subject, "role": role, "org": organisation_code, "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience, "iat": now, "exp": now + ttl_seconds}


def mint_token(subject: str, role: str, organisation_code: str, settings: Settings | None = None,
               ttl_seconds: int = 12 * 3600, channel: str = "web") -> str:
    """A user token signed with the user signing key (locally the development key): ``ybss token`` and tests."""
    settings = settings or get_settings()
    key = _signer(settings.user_signing_key_file(), settings, "YBSS_JWT_PRIVATE_KEY_FILE")
    return _sign({**_claims(subject, role, organisation_code, settings, ttl_seconds), "channel": channel}, key)


def mint_service_token(service: str, organisation_code: str, settings: Settings | None = None,
                       ttl_seconds: int = 300, on_behalf_of: str | None = None) -> str:
    """A service's own short-lived token (role ``service``, sub ``<service>``), signed with its key; ``org`` is
    the jurisdiction the call is for, ``on_behalf_of`` who asked (recorded, never trusted for permissions)."""
    settings = settings or get_settings()
    key = _signer(settings.service_signing_key_file(service), settings, "YBSS_SERVICE_KEY_FILE")
    claims = {**_claims(service, SERVICE_ROLE, organisation_code, settings, ttl_seconds), "channel": "import"}
    if on_behalf_of:
        claims["on_behalf_of"] = on_behalf_of
    return _sign(claims, key)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": 'Bearer realm="ybss"'},
    )


def validate_org(org: object) -> str | None:
    """Why ``org`` is not a division code of the shipped table (None when it is). Retired codes stay valid:
    a token of 蒙自县 532522 still covers 蒙自市 (services.kernel.web.authz resolves it)."""
    if not isinstance(org, str) or not org.isdigit():
        return f"bearer token's 'org' claim {org!r} is not a division code (组织代码须为行政区划代码)"
    try:
        canonical = divisions.normalize_code(org)
    except (ValueError, TypeError):
        canonical = None
    if canonical is None or divisions.get(canonical) is None:
        return f"bearer token's 'org' claim {org!r} is not in the division table (未知行政区划代码)"
    if canonical != org:
        return f"bearer token's 'org' claim {org!r} must be the canonical division code {canonical!r} (行政区划代码不规范)"
    return None


def _verifying_key(token: str, settings: Settings) -> tuple[dict, jwt.PyJWK]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise _unauthorized(f"bearer token is invalid: {error} (令牌无效)") from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in ALGORITHMS:
        raise _unauthorized(f"bearer token is signed with {algorithm!r}; only {list(ALGORITHMS)} are accepted "
                            "(HMAC and unsigned tokens are refused) (签名算法不被接受)")
    if not kid or not isinstance(kid, str):
        raise _unauthorized("bearer token has no 'kid' header naming its signing key (令牌缺少 kid)")
    try:
        key = _keys(settings).get(kid)
    except UnknownKey:
        raise _unauthorized(f"bearer token's signing key kid {kid!r} is unknown: not in the published JWKS "
                            "(未知签名密钥)") from None
    except KeySourceError as error:
        raise _unauthorized(f"bearer tokens cannot be verified: {error} (无法验证令牌)") from None
    if key.algorithm_name != algorithm:
        raise _unauthorized(f"bearer token says {algorithm} but key {kid!r} is {key.algorithm_name} (签名算法不符)")
    return header, key


def decode_token(token: str, settings: Settings) -> dict:
    header, key = _verifying_key(token, settings)
    try:
        claims = jwt.decode(
            token, key, algorithms=[key.algorithm_name], issuer=settings.jwt_issuer, audience=settings.jwt_audience,
            options={"require": ["sub", "exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("bearer token has expired (令牌已过期)") from None
    except jwt.MissingRequiredClaimError as error:
        raise _unauthorized(f"bearer token lacks the '{error.claim}' claim (令牌缺少 {error.claim})") from None
    except jwt.InvalidAudienceError:
        raise _unauthorized(f"bearer token's 'aud' claim must be {settings.jwt_audience!r} (令牌受众不符)") from None
    except jwt.InvalidIssuerError:
        raise _unauthorized(f"bearer token's 'iss' claim must be {settings.jwt_issuer!r} (令牌签发者不符)") from None
    except jwt.InvalidTokenError as error:
        raise _unauthorized(f"bearer token is invalid: {error} (令牌无效)") from None
    lifetime = claims["exp"] - claims["iat"]
    if lifetime > settings.jwt_max_ttl_seconds:
        raise _unauthorized(f"bearer token's lifetime exp - iat = {lifetime} s exceeds the maximum "
                            f"{settings.jwt_max_ttl_seconds} s (YBSS_JWT_MAX_TTL_SECONDS) (令牌有效期过长)")
    for claim in ("role", "org"):
        if not claims.get(claim):
            raise _unauthorized(f"bearer token lacks the '{claim}' claim (令牌缺少 {claim})")
    if claims["role"] not in ROLES:
        raise _unauthorized(f"bearer token's role {claims['role']!r} is not one of {list(ROLES)} (角色无效)")
    _check_identity(header["kid"], claims)
    problem = validate_org(claims["org"])
    if problem:
        raise _unauthorized(problem)
    return claims


def _check_identity(kid: str, claims: dict) -> None:
    """A service key signs only its own service identity; a service identity comes only from its own key."""
    service = service_of(kid)
    if service is not None and (claims["role"] != SERVICE_ROLE or claims["sub"] != service):
        raise _unauthorized(f"service key {kid!r} may sign only role 'service' with sub {service!r}, not role "
                            f"{claims['role']!r} sub {claims['sub']!r} (服务密钥只能签发本服务身份)")
    if service is None and claims["role"] == SERVICE_ROLE:
        raise _unauthorized(f"role 'service' is accepted only from a service key (kid svc-<service>), not {kid!r} "
                            "(服务身份须由服务密钥签发)")


def token_expires_at(request: Request) -> float | None:
    """When the request's bearer token expires (epoch seconds): long-lived streams end then."""
    claims = getattr(request.state, "token_claims", None)
    return float(claims["exp"]) if claims else None


async def _fetch_keys_off_loop(token: str, settings: Settings) -> None:
    """A JWKS URL fetch (up to 5 s) must not stall every other request of the service: run it in a thread."""
    keys = _keys(settings)
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        return  # decode_token says why
    if isinstance(kid, str) and keys.would_fetch(kid):
        with contextlib.suppress(UnknownKey, KeySourceError):  # decode_token says why
            await asyncio.to_thread(keys.get, kid)


async def current_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    settings: Settings = Depends(get_settings),
) -> Actor:
    if credentials is None:
        raise _unauthorized("missing bearer token: send 'Authorization: Bearer <JWT>' (缺少访问令牌)")
    await _fetch_keys_off_loop(credentials.credentials, settings)
    claims = decode_token(credentials.credentials, settings)
    request.state.token_claims = claims
    channel = claims.get("channel", "web")
    return Actor(
        id=claims["sub"], role=claims["role"], organisation_code=claims["org"],
        channel=Channel(channel) if channel in Channel._value2member_map_ else Channel.web,
        client_ip=request.client.host if request.client else None,
    )
