"""Choose the identity provider from settings and build the request-path runtime."""

from __future__ import annotations

from src.auth.local import LocalIdentityProvider
from src.auth.providers import IdentityProvider
from src.auth.sessions import AuthRuntime, CookieSpec, Refresher
from src.auth.supabase import SupabaseIdentityProvider
from src.auth.tokens import Clock
from src.config import Settings
from src.db.tenancy import Pool
from src.monitoring.providers import ProviderStatus


def build_provider(
    settings: Settings, pool: Pool, clock: Clock, status: ProviderStatus | None = None
) -> IdentityProvider:
    """Supabase Auth when the project is configured, otherwise the local provider."""
    if settings.supabase_url and settings.supabase_anon_key and settings.supabase_service_role_key:
        secret = settings.supabase_jwt_secret
        return SupabaseIdentityProvider(
            url=settings.supabase_url,
            anon_key=settings.supabase_anon_key.get_secret_value(),
            service_key=settings.supabase_service_role_key.get_secret_value(),
            jwt_secret=secret.get_secret_value() if secret else None,
            clock=clock,
            status=status,
        )
    return LocalIdentityProvider(
        pool,
        secret=settings.session_secret.get_secret_value(),
        issuer=f"{settings.public_url.rstrip('/')}/auth/v1",
        clock=clock,
    )


def build_auth(
    settings: Settings, pool: Pool, clock: Clock, status: ProviderStatus | None = None
) -> AuthRuntime:
    """Provider, refresher and cookie rules for one app."""
    provider = build_provider(settings, pool, clock, status)
    return AuthRuntime(
        provider, Refresher(provider, clock=clock), CookieSpec.for_url(settings.public_url), clock
    )
