import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from src.config import DEV_SESSION_SECRET, PRODUCTION_CORS_ORIGINS, Settings
from tests.conftest import ROOT

STRONG = "k" * 40
COMPLETE_PRODUCTION = {
    "app_env": "production",
    "public_url": "https://lpxgp.com",
    "database_url": "postgresql://lpxgp_app:pw@db.internal:5432/postgres",
    "supabase_url": "https://abcd1234.supabase.co",
    "supabase_anon_key": "sb_publishable_" + STRONG,
    "supabase_service_role_key": "sb_secret_" + STRONG,
    "openrouter_api_key": "sk-or-v1-" + STRONG,
    "voyage_api_key": "pa-" + STRONG,
    "langfuse_public_key": "pk-lf-" + STRONG,
    "langfuse_secret_key": "sk-lf-" + STRONG,
    "token_encryption_key": STRONG,
    "session_secret": STRONG + "s",
}
ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "supabase_url": "SUPABASE_URL",
    "supabase_anon_key": "SUPABASE_ANON_KEY",
    "supabase_service_role_key": "SUPABASE_SERVICE_ROLE_KEY",
    "openrouter_api_key": "OPENROUTER_API_KEY",
    "voyage_api_key": "VOYAGE_API_KEY",
    "langfuse_public_key": "LANGFUSE_PUBLIC_KEY",
    "langfuse_secret_key": "LANGFUSE_SECRET_KEY",
    "token_encryption_key": "TOKEN_ENCRYPTION_KEY",
    "session_secret": "SESSION_SECRET",
}


def build(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_settings_development_defaults_need_no_keys():
    settings = build()
    assert settings.app_env == "development"
    assert settings.uses_embedded_database
    assert settings.cors_origins == ["http://localhost:8000", "http://127.0.0.1:8000"]


@pytest.mark.parametrize("env", ["production", "staging"])
def test_settings_complete_deployment_is_accepted(env: str):
    settings = build(**{**COMPLETE_PRODUCTION, "app_env": env})
    assert settings.cors_origins == PRODUCTION_CORS_ORIGINS
    assert not settings.uses_embedded_database


@pytest.mark.parametrize("field", sorted(ENV_NAMES))
@pytest.mark.parametrize("env", ["production", "staging"])
def test_settings_deployment_refuses_each_missing_setting(env: str, field: str):
    values = {**COMPLETE_PRODUCTION, "app_env": env}
    del values[field]
    with pytest.raises(ValidationError, match=f"{ENV_NAMES[field]} is not set"):
        build(**values)


@pytest.mark.parametrize(
    "placeholder", ["change-me", "sk-or-...", "eyJhbG...", "https://xxx.supabase.co", "CHANGEME"]
)
def test_settings_production_refuses_placeholders(placeholder: str):
    values = {**COMPLETE_PRODUCTION, "openrouter_api_key": placeholder}
    with pytest.raises(ValidationError, match="OPENROUTER_API_KEY still holds a placeholder"):
        build(**values)


def test_settings_production_refuses_the_development_default_secrets():
    values = {**COMPLETE_PRODUCTION, "session_secret": DEV_SESSION_SECRET}
    with pytest.raises(ValidationError, match="SESSION_SECRET is not set"):
        build(**values)


def test_settings_production_refuses_short_secrets():
    with pytest.raises(ValidationError, match="SESSION_SECRET must be at least 32 characters"):
        build(**{**COMPLETE_PRODUCTION, "session_secret": "short-but-real-1234"})


def test_settings_production_refuses_wildcard_cors():
    with pytest.raises(ValidationError, match="CORS_ORIGINS must list origins, not '\\*'"):
        build(**{**COMPLETE_PRODUCTION, "cors_origins": "*"})


def test_settings_names_every_problem_at_once():
    with pytest.raises(ValidationError) as excinfo:
        build(app_env="production", cors_origins="https://lpxgp.com,*")
    message = str(excinfo.value)
    for env_name in ENV_NAMES.values():
        assert env_name in message
    assert "CORS_ORIGINS" in message


def test_settings_cors_origins_parse_from_comma_separated_text():
    settings = build(cors_origins=" https://a.example.org , https://b.example.org ")
    assert settings.cors_origins == ["https://a.example.org", "https://b.example.org"]


def test_settings_blank_values_mean_unset(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "")
    monkeypatch.setenv("SESSION_SECRET", "")
    settings = build()
    assert settings.openrouter_api_key is None
    assert settings.session_secret.get_secret_value().startswith("dev-only")


def test_settings_secret_values_lists_every_secret_for_scrubbing():
    settings = build(**COMPLETE_PRODUCTION)
    secrets = settings.secret_values()
    assert COMPLETE_PRODUCTION["openrouter_api_key"] in secrets
    assert COMPLETE_PRODUCTION["database_url"] in secrets
    assert COMPLETE_PRODUCTION["session_secret"] in secrets


def test_app_refuses_to_start_in_production_with_one_clear_message():
    env = {k: v for k, v in os.environ.items() if k.upper() not in ENV_NAMES.values()}
    env |= {"APP_ENV": "production", "CORS_ORIGINS": "*"}
    result = subprocess.run(
        [sys.executable, "-c", "import src.main"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "LPxGP configuration error: refusing to start with APP_ENV=production"
    )
    for env_name in [*ENV_NAMES.values(), "CORS_ORIGINS"]:
        assert env_name in lines[0]
    assert "Traceback" not in result.stderr


def test_settings_deployment_refuses_a_plain_http_public_url():
    with pytest.raises(ValidationError, match="PUBLIC_URL must be https"):
        build(**{**COMPLETE_PRODUCTION, "public_url": "http://lpxgp.com"})
