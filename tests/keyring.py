"""Key pairs and JWKS files made in a test's own directory: rotation, a second algorithm, a service identity,
a stranger's key, without touching the development keys every other test signs with."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from services.kernel.base.settings import Settings


def new_key(kind: str = "EdDSA"):
    return ed25519.Ed25519PrivateKey.generate() if kind == "EdDSA" else ec.generate_private_key(ec.SECP256R1())


def public_jwk(private_key, kid: str) -> dict:
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return {**OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True), "kid": kid, "alg": "EdDSA"}
    return {**ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True), "kid": kid, "alg": "ES256"}


def pem(private_key) -> bytes:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())


@dataclass
class Keyring:
    """kid → private key, published as one JWKS file; ``settings`` verify with it (local mode)."""

    directory: Path
    keys: dict = field(default_factory=dict)

    def add(self, kid: str, kind: str = "EdDSA") -> "Keyring":
        self.keys[kid] = new_key(kind)
        (self.directory / f"{kid}.pem").write_bytes(pem(self.keys[kid]))
        return self.publish()

    def publish(self, *kids: str) -> "Keyring":
        shown = kids or tuple(self.keys)
        path = self.directory / "jwks.json"
        path.write_text(json.dumps({"keys": [public_jwk(self.keys[kid], kid) for kid in shown]}))
        return self

    def settings(self, user_kid: str | None = None, service_kid: str | None = None, **overrides) -> Settings:
        return Settings(environment=overrides.pop("environment", "local"),
                        jwt_jwks_file=str(self.directory / "jwks.json"),
                        jwt_private_key_file=str(self.directory / f"{user_kid}.pem") if user_kid else None,
                        service_key_file=str(self.directory / f"{service_kid}.pem") if service_kid else None,
                        **overrides)

    def sign(self, kid: str, algorithm: str | None = None, **claims) -> str:
        """A token with exactly these claims (None drops a claim), defaults being a valid police token."""
        now = int(time.time())
        body = {"sub": "PC-1", "role": "police", "org": "532503", "iss": "ybss", "aud": "ybss", "iat": now,
                "exp": now + 600, **claims}
        body = {name: value for name, value in body.items() if value is not None}
        key = self.keys[kid]
        algorithm = algorithm or ("EdDSA" if isinstance(key, ed25519.Ed25519PrivateKey) else "ES256")
        return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})
