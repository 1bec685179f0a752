"""Bearer-JWT authentication: every API but health and metrics knows who is acting.

The token's subject, role and organisation code become the envelope's actor, so every stored fact says
who caused it. Locally tokens are signed with a development key (``ybss token`` mints them); in production
set ``YBSS_JWT_SECRET`` (or switch ``YBSS_JWT_ALGORITHM``) to the identity provider's key.
"""

from __future__ import annotations

import time

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.envelope import Actor, Channel
from services.kernel.settings import Settings, get_settings

ROLES = ("collector", "police", "supervisor", "agency", "admin")

_bearer = HTTPBearer(auto_error=False, description="JWT from `ybss token` locally, the identity provider in production")


def mint_token(subject: str, role: str, organisation_code: str, settings: Settings | None = None,
               ttl_seconds: int = 12 * 3600, channel: str = "web") -> str:
    settings = settings or get_settings()
    now = int(time.time())
    claims = {
        "sub": subject, "role": role, "org": organisation_code, "channel": channel,
        "iss": settings.jwt_issuer, "iat": now, "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": 'Bearer realm="ybss"'},
    )


def decode_token(token: str, settings: Settings) -> dict:
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[settings.jwt_algorithm], issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("bearer token has expired (令牌已过期)") from None
    except jwt.InvalidTokenError as error:
        raise _unauthorized(f"bearer token is invalid: {error} (令牌无效)") from None
    for claim in ("role", "org"):
        if not claims.get(claim):
            raise _unauthorized(f"bearer token lacks the '{claim}' claim (令牌缺少 {claim})")
    if claims["role"] not in ROLES:
        raise _unauthorized(f"bearer token's role {claims['role']!r} is not one of {list(ROLES)} (角色无效)")
    return claims


async def current_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    settings: Settings = Depends(get_settings),
) -> Actor:
    if credentials is None:
        raise _unauthorized("missing bearer token: send 'Authorization: Bearer <JWT>' (缺少访问令牌)")
    claims = decode_token(credentials.credentials, settings)
    channel = claims.get("channel", "web")
    return Actor(
        id=claims["sub"], role=claims["role"], organisation_code=claims["org"],
        channel=Channel(channel) if channel in Channel._value2member_map_ else Channel.web,
        client_ip=request.client.host if request.client else None,
    )


