"""The public keys that verify bearer tokens (JWKS) and the private keys that sign them where signing is allowed.

Services hold public keys only: a JWKS from a file (a mounted Secret, re-read when it changes) or a URL (the
identity provider's, cached and fetched again when a token names a ``kid`` it does not know), so no service pod
can mint a user token. Rotation is by ``kid``: publish the new key beside the old one, move the signer over,
drop the old key once its tokens have expired. A key whose kid is ``svc-<service>`` (optionally
``svc-<service>.<label>`` for rotation) belongs to a service identity (auth.py limits what it may sign). Keys
made for development are recognisable by their kid (``dev-…`` for users, ``….dev`` for services) and refused
outside ``YBSS_ENVIRONMENT=local``.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

#: signature algorithms a token may use; HMAC (HS*) and ``none`` are refused whatever the key set holds
ALGORITHMS = ("ES256", "EdDSA")
SERVICE_KID_PREFIX = "svc-"
#: after a refresh for an unknown kid, the URL is not fetched again for this long (a flood of random kids
#: must not turn into a flood of requests to the identity provider)
UNKNOWN_KID_REFRESH_SECONDS = 10.0


class KeySourceError(RuntimeError):
    """The JWKS cannot be read or holds no usable key."""


class UnknownKey(LookupError):
    """No key with this kid is published (not yet rotated in, or already rotated out, or forged)."""


def is_development_kid(kid: str) -> bool:
    return kid.startswith("dev-") or kid.endswith(".dev")


def service_of(kid: str) -> str | None:
    """The service a ``svc-<service>[.<label>]`` key belongs to; None for a user-token key."""
    if not kid.startswith(SERVICE_KID_PREFIX):
        return None
    return kid[len(SERVICE_KID_PREFIX):].split(".")[0] or None


def parse_jwks(raw: dict, source: str) -> dict[str, jwt.PyJWK]:
    """kid → key; every key must have a kid and an accepted algorithm (a silently skipped key is a rotation
    that does not happen)."""
    entries = raw.get("keys") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise KeySourceError(f"JWKS {source} has no 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not kid:
            raise KeySourceError(f"JWKS {source}: a key without 'kid' (rotation is by kid)")
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError as error:
            raise KeySourceError(f"JWKS {source}: key {kid!r} is unusable: {error}") from None
        if key.algorithm_name not in ALGORITHMS:
            raise KeySourceError(f"JWKS {source}: key {kid!r} uses {key.algorithm_name}; accepted: {list(ALGORITHMS)}")
        keys[kid] = key
    return keys


@dataclass
class KeySet:
    """The verifying keys of one JWKS source, reloaded when stale and once more for an unknown kid."""

    file: str | None
    url: str | None
    cache_seconds: float = 300.0
    _keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    _loaded_at: float = float("-inf")
    _forced_at: float = float("-inf")
    _version: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def source(self) -> str:
        return self.file or self.url or "(none)"

    def _read(self) -> tuple[object, dict]:
        if self.file:
            path = Path(self.file)
            try:
                stat = path.stat()
                return (stat.st_mtime_ns, stat.st_size), json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise KeySourceError(f"JWKS file {self.file} unreadable: {error}") from None
        if self.url:
            try:
                response = httpx.get(self.url, timeout=5.0)
                response.raise_for_status()
                return None, response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise KeySourceError(f"JWKS URL {self.url} unreachable: {error}") from None
        raise KeySourceError("no JWKS configured: set YBSS_JWT_JWKS_FILE or YBSS_JWT_JWKS_URL")

    def _reload(self, force: bool) -> None:
        now = time.monotonic()
        if self.file and not force and now - self._loaded_at < 1.0:
            return  # a mounted file is checked at most once a second
        if self.url and not force and now - self._loaded_at < self.cache_seconds:
            return
        if self.url and force:
            if now - self._forced_at < UNKNOWN_KID_REFRESH_SECONDS:
                return
            self._forced_at = now
        with self._lock:
            if self.file:
                try:
                    version = (lambda s: (s.st_mtime_ns, s.st_size))(Path(self.file).stat())
                except OSError as error:
                    raise KeySourceError(f"JWKS file {self.file} unreadable: {error}") from None
                if version == self._version and self._keys:
                    self._loaded_at = now
                    return
            version, raw = self._read()
            self._keys, self._version, self._loaded_at = parse_jwks(raw, self.source), version, now

    def keys(self) -> dict[str, jwt.PyJWK]:
        self._reload(force=False)
        return self._keys

    def would_fetch(self, kid: str) -> bool:
        """Whether ``get(kid)`` would go to the URL (an async caller then runs it in a thread, off the event loop)."""
        if not self.url:
            return False
        now = time.monotonic()
        if now - self._loaded_at >= self.cache_seconds:
            return True
        return kid not in self._keys and now - self._forced_at >= UNKNOWN_KID_REFRESH_SECONDS

    def get(self, kid: str) -> jwt.PyJWK:
        key = self.keys().get(kid)
        if key is None:
            self._reload(force=True)
            key = self._keys.get(kid)
        if key is None:
            raise UnknownKey(kid)
        return key


@lru_cache(maxsize=8)
def keyset(file: str | None, url: str | None, cache_seconds: float = 300.0) -> KeySet:
    return KeySet(file, url, cache_seconds)


# signing (``ybss token`` locally, a service's own identity) ---------------------------------------------------
@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: object = field(repr=False)


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def algorithm_of(private_key) -> str:
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(private_key, ec.EllipticCurvePrivateKey) and isinstance(private_key.curve, ec.SECP256R1):
        return "ES256"
    raise KeySourceError(f"signing key is a {type(private_key).__name__}; use Ed25519 (EdDSA) or P-256 (ES256)")


def load_private_key(path: str) -> object:
    try:
        return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise KeySourceError(f"private key {path} unreadable: {error}") from None


def signing_key(private_key_file: str, keys: KeySet) -> SigningKey:
    """The private key with the kid under which its public half is published: a key that is not in the JWKS
    would sign tokens every service refuses, so that is an error here, not a 401 later."""
    private_key = load_private_key(private_key_file)
    algorithm, public = algorithm_of(private_key), _public_der(private_key.public_key())
    for kid, published in keys.keys().items():
        if _public_der(published.key) == public:
            return SigningKey(kid, algorithm, private_key)
    raise KeySourceError(f"the public half of {private_key_file} is not in the JWKS {keys.source}; publish it "
                         "there first (tokens it signed would be refused)")
