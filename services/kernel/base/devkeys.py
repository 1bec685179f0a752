"""The development key pairs (开发密钥): made once under deploy/local/.work/keys by `make up`, `ybss dev-keys`
or the first test run, and used only with ``YBSS_ENVIRONMENT=local``.

``user.pem`` signs ``ybss token``'s user tokens (kid ``dev-user``); ``service-<name>.pem`` is a service's own
identity (kid ``svc-<name>.dev``); ``jwks.json`` publishes their public halves. The kids mark them as
development keys, which every service refuses outside local mode. The directory appears whole or not at all
(made aside and renamed), so parallel test runs never see half a key set.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from jwt.algorithms import OKPAlgorithm

DEV_KEYS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "local" / ".work" / "keys"
USER_KID = "dev-user"
#: the services that call others under their own identity (the ingest service → the address matcher)
SERVICE_IDENTITIES = ("ingest",)
JWKS = "jwks.json"
USER_KEY = "user.pem"


def service_key_name(service: str) -> str:
    return f"service-{service}.pem"


def _write_key(directory: Path, name: str, kid: str) -> dict:
    private = ed25519.Ed25519PrivateKey.generate()
    path = directory / name
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    path.chmod(0o600)
    return {**OKPAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": kid, "alg": "EdDSA", "use": "sig"}


def ensure_dev_keys(directory: Path = DEV_KEYS_DIR) -> Path:
    """The development key directory, made now if it does not exist yet (never replaced once made)."""
    if (directory / JWKS).exists():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".keys-", dir=directory.parent))
    keys = [_write_key(staging, USER_KEY, USER_KID)]
    keys += [_write_key(staging, service_key_name(service), f"svc-{service}.dev") for service in SERVICE_IDENTITIES]
    (staging / JWKS).write_text(json.dumps({"keys": keys}, indent=2) + "\n", encoding="utf-8")
    try:
        os.rename(staging, directory)
    except OSError:  # another process made them first: theirs stand
        shutil.rmtree(staging, ignore_errors=True)
        if not (directory / JWKS).exists():
            raise RuntimeError(f"{directory} exists without {JWKS}; remove it to have the development keys made again")
    return directory
