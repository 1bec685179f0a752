"""No production on the development keys; unknown roles are 401; actions declare consistent roles."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from services.kernel.web.app import InsecureConfiguration, ServiceSpec, create_app
from services.kernel.web.auth import decode_token, mint_token
from services.kernel.web.authz import Scope, allow
from services.kernel.base.settings import Settings
from contracts.envelope import Actor


def test_outside_local_mode_the_development_keys_are_refused_with_the_reason():
    from services.kernel.base.devkeys import JWKS, ensure_dev_keys

    settings = Settings(environment="production", jwt_jwks_file=str(ensure_dev_keys() / JWKS))
    with pytest.raises(InsecureConfiguration) as refused:
        create_app(ServiceSpec(context="person"), settings)
    assert "development keys" in str(refused.value) and "production" in str(refused.value)


def test_outside_local_mode_a_missing_jwks_is_refused_and_a_real_one_accepted(tmp_path):
    from tests.keyring import Keyring

    with pytest.raises(InsecureConfiguration) as refused:
        create_app(ServiceSpec(context="person"), Settings(environment="production"))
    assert "YBSS_JWT_JWKS_FILE" in str(refused.value)
    real = Keyring(tmp_path).add("idp-2026")
    app = create_app(ServiceSpec(context="person"), real.settings(environment="production"))
    assert app.title.startswith("ybss person service")


def test_the_environment_defaults_to_production(monkeypatch):
    monkeypatch.delenv("YBSS_ENVIRONMENT", raising=False)
    assert Settings().environment == "production"


def test_local_mode_runs_on_the_development_keys():
    assert Settings(environment="local").insecure_reasons() == []


def test_a_token_whose_role_is_not_one_of_ours_is_401():
    settings = Settings()
    with pytest.raises(HTTPException) as refused:
        decode_token(mint_token("x", "janitor", "532503", settings), settings)
    assert refused.value.status_code == 401 and "janitor" in refused.value.detail


def test_an_action_cannot_be_declared_with_two_role_sets():
    allow("test.same-action", "police")
    allow("test.same-action", "police")
    with pytest.raises(ValueError):
        allow("test.same-action", "collector")
    with pytest.raises(ValueError):
        allow("test.unknown-role", "janitor")


@pytest.mark.parametrize("org, division, covered", [
    ("532503", "532503001", True),          # county officer, township record
    ("532503001", "532503002", False),      # township officer, the next township
    ("5325", "532502003", True),            # city supervisor, any township of the city
    ("532522", "532503001", True),          # 蒙自县 (retired 2010) resolves to 蒙自市
    ("532503", "532522", True),             # a record still carrying the old county code
    ("532502", "532503001", False),         # 个旧市 officer, 蒙自市 record
    ("53", "110101", False),                # no province sees another
])
def test_jurisdiction_is_a_prefix_on_current_division_codes(org, division, covered):
    assert Scope.of(Actor(id="x", role="police", organisation_code=org)).covers(division) is covered


def test_admins_see_everywhere_and_nobody_sees_a_record_without_a_division():
    assert Scope.of(Actor(id="a", role="admin", organisation_code="11")).covers("532503001")
    assert Scope.of(Actor(id="a", role="admin", organisation_code="11")).query() == {}
    assert not Scope.of(Actor(id="p", role="police", organisation_code="532503")).covers(None)


def test_kafka_clients_take_tls_and_sasl_from_the_environment(monkeypatch, tmp_path):
    """The manifests give SCRAM credentials over TLS; every Kafka client (producer, consumers, admin) uses them."""
    import ssl

    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "ybss-person")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    options = Settings().kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL" and isinstance(options["ssl_context"], ssl.SSLContext)
    assert (options["sasl_mechanism"], options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "SCRAM-SHA-512", "ybss-person", "s3cret")
    assert "s3cret" not in repr(Settings()), "the password is not printed with the settings"
    monkeypatch.delenv("KAFKA_SECURITY_PROTOCOL")
    plain = Settings()
    assert plain.kafka_client_options() == {"bootstrap_servers": plain.kafka_bootstrap_servers,
                                            "security_protocol": "PLAINTEXT"}
