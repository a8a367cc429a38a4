"""Application settings: one typed object, read once, validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

AppEnv = Literal["development", "test", "staging", "production"]

PRODUCTION_CORS_ORIGINS = ["https://lpxgp.com", "https://www.lpxgp.com"]
DEVELOPMENT_CORS_ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]

# Values that mean "nobody set this yet": the dev defaults below and the shapes used in
# .env.example and the seed document.
_PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "example", "xxx", "...", "dev-only")
_MIN_SECRET_LENGTH = 32

# Settings every deployed environment must have, with their environment variable names.
_REQUIRED_WHEN_DEPLOYED = {
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
_LONG_SECRETS = ("token_encryption_key", "session_secret")

DEV_SESSION_SECRET = "dev-only-session-secret-change-me-0000000000"
DEV_TOKEN_ENCRYPTION_KEY = "dev-only-token-encryption-key-change-me-00000"


class Settings(BaseSettings):
    """Every setting of the application; see .env.example for what each one means."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    app_env: AppEnv = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    data_dir: Path = Path(".lpxgp")
    public_url: str = "http://127.0.0.1:8000"

    database_url: SecretStr | None = None
    database_admin_url: SecretStr | None = None
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    # Seconds a request (or a batch step) waits for a connection before failing.
    db_pool_timeout_seconds: float = Field(default=10, gt=0, le=600)
    # Server-side prepared statements (psycopg prepares a query from its 3rd use on a
    # connection). Row-level security makes planning dear, so this halves the database time of
    # a page. Only for a direct or session-mode connection: Supabase's transaction pooler
    # (port 6543) cannot keep them. Always on for the embedded database.
    db_prepared_statements: bool = False

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_enabled: bool = True
    rate_limit_default: str = "300/minute"

    supabase_url: str | None = None
    supabase_anon_key: SecretStr | None = None
    supabase_service_role_key: SecretStr | None = None
    supabase_jwt_secret: SecretStr | None = None
    openrouter_api_key: SecretStr | None = None
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    # Pinned model versions (not "-latest") so analyses stay reproducible.
    llm_model_main: str = "anthropic/claude-sonnet-4.5"
    llm_model_fast: str = "anthropic/claude-haiku-4.5"
    llm_timeout_seconds: float = Field(default=60, gt=0, le=600)
    llm_max_attempts: int = Field(default=4, ge=1, le=10)
    llm_concurrency: int = Field(default=10, ge=1, le=200)
    llm_calls_per_minute: int = Field(default=60, ge=1, le=10_000)
    llm_daily_budget_usd: float = Field(default=100, ge=0)
    batch_keep_per_fund: int = Field(default=200, ge=1, le=5000)
    batch_debates_per_fund: int = Field(default=20, ge=0, le=500)
    batch_pitches_per_fund: int = Field(default=10, ge=0, le=500)
    batch_chunk: int = Field(default=25, ge=1, le=1000)
    batch_lease_seconds: float = Field(default=300, gt=0, le=86_400)
    batch_max_attempts: int = Field(default=3, ge=1, le=20)
    batch_outage_seconds: float = Field(default=300, ge=0, le=86_400)
    batch_deadline_utc: str | None = Field(default="06:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    retrain_min_samples: int = Field(default=60, ge=10)
    retrain_folds: int = Field(default=5, ge=2, le=20)
    retrain_margin: float = Field(default=0.02, ge=0, le=0.5)
    collaborative_min_orgs: int = Field(default=5, ge=5)
    voyage_api_key: SecretStr | None = None
    voyage_model: str = "voyage-finance-2"
    voyage_base_url: str | None = None
    langfuse_public_key: SecretStr | None = None
    langfuse_secret_key: SecretStr | None = None
    langfuse_host: str | None = None
    token_encryption_key: SecretStr = SecretStr(DEV_TOKEN_ENCRYPTION_KEY)
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)

    maintenance_mode: bool = False
    # Alerts go to this Slack incoming webhook (unset: they stay in the admin console only).
    slack_webhook_url: SecretStr | None = None
    alert_monthly_cost_usd: float = Field(default=800, ge=0)
    alert_daily_agent_cost_usd: float = Field(default=100, ge=0)
    alert_error_rate: float = Field(default=0.05, ge=0, le=1)
    alert_p95_ms: float = Field(default=5000, gt=0)
    alert_min_cache_hit_rate: float = Field(default=0.5, ge=0, le=1)
    alert_max_escalation_rate: float = Field(default=0.25, ge=0, le=1)
    # Fixed monthly costs (USD) the cost breakdown adds to what we measure.
    cost_railway_monthly_usd: float = Field(default=35, ge=0)
    cost_supabase_monthly_usd: float = Field(default=25, ge=0)
    cost_voyage_per_million_tokens: float = Field(default=0.12, ge=0)
    enable_email_sync: bool = False
    enable_calendar_sync: bool = False
    demo_market: bool = True

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # `KEY=` in a .env file means "not set": fall back to the default, never to "".
        if isinstance(value, str) and not value.strip():
            field = cls.model_fields[info.field_name] if info.field_name else None
            return field.get_default(call_default_factory=True) if field else None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _check_environment(self) -> Settings:
        if not self.cors_origins:
            self.cors_origins = list(
                PRODUCTION_CORS_ORIGINS if self.is_deployed else DEVELOPMENT_CORS_ORIGINS
            )
        if self.is_deployed:
            problems = self.deployment_problems()
            if problems:
                raise ValueError(
                    f"refusing to start with APP_ENV={self.app_env}: " + "; ".join(problems)
                )
        return self

    @property
    def is_deployed(self) -> bool:
        """Tell whether this is a shared environment (staging or production)."""
        return self.app_env in ("staging", "production")

    @property
    def uses_embedded_database(self) -> bool:
        """Tell whether the app starts its own embedded Postgres."""
        return self.database_url is None

    @property
    def llm_configured(self) -> bool:
        """Tell whether a real LLM provider is configured."""
        return self.openrouter_api_key is not None

    def deployment_problems(self) -> list[str]:
        """List every reason this configuration is unfit for a deployed environment."""
        problems: list[str] = []
        if self.database_url is None:
            problems.append("DATABASE_URL is not set (the embedded database is for development)")
        for field, env_name in _REQUIRED_WHEN_DEPLOYED.items():
            value = _plain(getattr(self, field))
            if not value or value in (DEV_SESSION_SECRET, DEV_TOKEN_ENCRYPTION_KEY):
                problems.append(f"{env_name} is not set")
            elif _is_placeholder(value):
                problems.append(f"{env_name} still holds a placeholder value")
            elif field in _LONG_SECRETS and len(value) < _MIN_SECRET_LENGTH:
                problems.append(f"{env_name} must be at least {_MIN_SECRET_LENGTH} characters")
        if "*" in self.cors_origins:
            problems.append("CORS_ORIGINS must list origins, not '*'")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL must be https (session cookies are Secure only on https)")
        return problems

    def secret_values(self) -> list[str]:
        """Return every secret value set, so that logging can scrub them."""
        values = [
            _plain(getattr(self, name))
            for name, field in type(self).model_fields.items()
            if field.annotation is not None and "SecretStr" in str(field.annotation)
        ]
        return [value for value in values if value and len(value) >= 6]


def _plain(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return "" if value is None else str(value)


def _is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(marker in lowered for marker in _PLACEHOLDER_MARKERS)


@lru_cache
def get_settings() -> Settings:
    """Read the settings once from the environment (and a local .env file)."""
    return Settings()
