"""Supabase Auth (GoTrue) as the identity provider, through supabase-py's auth client.

A client is built per operation (`auto_refresh_token=False`, `persist_session=False`): the
library's clients keep session state and rewrite their own headers, so one shared across
users would leak one user's token into another's calls. Tokens are verified locally by
`TokenVerifier` (JWKS or HS256 secret, from settings).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from supabase_auth import AsyncGoTrueAdminAPI, AsyncGoTrueClient
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError, AuthWeakPasswordError
from supabase_auth.types import Session

from src.auth.providers import (
    AccountExists,
    AuthSession,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidResetToken,
    ProviderUnavailable,
    WeakPassword,
)
from src.auth.tokens import Clock, TokenVerifier, utc_now
from src.monitoring.providers import ProviderStatus, TrackedTransport

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RATE_LIMIT_CODES = {"over_request_rate_limit", "over_email_send_rate_limit"}


class SupabaseIdentityProvider:
    """Accounts in the Supabase project's Auth service."""

    name = "supabase"

    def __init__(
        self,
        *,
        url: str,
        anon_key: str,
        service_key: str,
        jwt_secret: str | None = None,
        clock: Clock = utc_now,
        status: ProviderStatus | None = None,
    ) -> None:
        self.status = status
        self.auth_url = f"{url.rstrip('/')}/auth/v1"
        self._anon_key = anon_key
        self._service_key = service_key
        self.verifier = (
            TokenVerifier(issuer=self.auth_url, clock=clock, hs256_secret=jwt_secret)
            if jwt_secret
            else TokenVerifier(
                issuer=self.auth_url, clock=clock, jwks_url=f"{self.auth_url}/.well-known/jwks.json"
            )
        )

    def _http(self) -> httpx.AsyncClient:
        """A client per operation; each exchange is reported to the provider status."""
        transport = TrackedTransport(self.status) if self.status is not None else None
        return httpx.AsyncClient(timeout=TIMEOUT, transport=transport)

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[AsyncGoTrueClient]:
        async with self._http() as http:
            yield AsyncGoTrueClient(
                url=self.auth_url,
                headers={"apikey": self._anon_key},
                auto_refresh_token=False,
                persist_session=False,
                http_client=http,
            )

    @asynccontextmanager
    async def _admin(self, key: str | None = None) -> AsyncIterator[AsyncGoTrueAdminAPI]:
        key = key or self._service_key
        headers = {"apikey": key, "Authorization": f"Bearer {key}"}
        async with self._http() as http:
            yield AsyncGoTrueAdminAPI(url=self.auth_url, headers=headers, http_client=http)

    async def sign_in(self, email: str, password: str) -> AuthSession:
        """POST /token?grant_type=password."""
        try:
            async with self._client() as client:
                response = await client.sign_in_with_password(
                    {"email": email.strip(), "password": password}
                )
        except AuthError as exc:
            raise _unavailable_or(exc, InvalidCredentials()) from exc
        return _session(response.session)

    async def refresh(self, refresh_token: str) -> AuthSession:
        """POST /token?grant_type=refresh_token (GoTrue rotates and detects reuse)."""
        try:
            async with self._client() as client:
                response = await client.refresh_session(refresh_token)
        except AuthError as exc:
            raise _unavailable_or(exc, InvalidRefreshToken()) from exc
        return _session(response.session)

    async def sign_out(self, access_token: str, refresh_token: str | None) -> None:
        """POST /logout?scope=local with the user's token; 401/403/404 mean already signed out."""
        try:
            # Logout needs only the user's own token (it replaces Authorization) and the anon key.
            async with self._admin(self._anon_key) as admin:
                await admin.sign_out(access_token, "local")
        except AuthApiError as exc:
            if exc.status not in (401, 403, 404):
                raise ProviderUnavailable(str(exc)) from exc
        except AuthError as exc:
            raise ProviderUnavailable(str(exc)) from exc

    async def create_user(self, email: str, password: str) -> uuid.UUID:
        """POST /admin/users, already confirmed (the invitation proved the address)."""
        try:
            async with self._admin() as admin:
                response = await admin.create_user(
                    {"email": email.strip().lower(), "password": password, "email_confirm": True}
                )
        except AuthWeakPasswordError as exc:
            raise WeakPassword(list(exc.reasons) or [exc.message]) from exc
        except AuthApiError as exc:
            if exc.code in ("email_exists", "user_already_exists") or exc.status == 422:
                raise AccountExists(email) from exc
            raise _unavailable_or(exc, ProviderUnavailable(exc.message)) from exc
        except AuthError as exc:
            raise ProviderUnavailable(str(exc)) from exc
        return uuid.UUID(str(response.user.id))

    async def delete_user(self, user_id: uuid.UUID) -> None:
        """DELETE /admin/users/{id} (undoing a half-finished invitation acceptance)."""
        try:
            async with self._admin() as admin:
                await admin.delete_user(str(user_id))
        except AuthError as exc:
            raise ProviderUnavailable(str(exc)) from exc

    async def set_password(self, user_id: uuid.UUID, password: str) -> None:
        """PUT /admin/users/{id}."""
        try:
            async with self._admin() as admin:
                await admin.update_user_by_id(str(user_id), {"password": password})
        except AuthWeakPasswordError as exc:
            raise WeakPassword(list(exc.reasons) or [exc.message]) from exc
        except AuthError as exc:
            raise ProviderUnavailable(str(exc)) from exc

    async def request_password_reset(self, email: str, reset_url: str) -> None:
        """POST /recover: GoTrue sends the email, whose link comes back to `reset_url`."""
        try:
            async with self._client() as client:
                await client.reset_password_for_email(email.strip(), {"redirect_to": reset_url})
        except AuthApiError as exc:
            if exc.code in RATE_LIMIT_CODES or exc.status >= 500:
                raise ProviderUnavailable(exc.message) from exc
            # Anything else (unknown email on some configurations) must look like success.
        except AuthError as exc:
            raise ProviderUnavailable(str(exc)) from exc

    async def reset_password(self, token: str, password: str) -> AuthSession:
        """POST /verify (type recovery) for a session, then set the password."""
        try:
            async with self._client() as client:
                response = await client.verify_otp({"token_hash": token, "type": "recovery"})
        except AuthError as exc:
            raise _unavailable_or(exc, InvalidResetToken()) from exc
        session = _session(response.session)
        await self.set_password(session.user_id, password)
        return session


def _unavailable_or(exc: AuthError, otherwise: Exception) -> Exception:
    """Rate limits and outages are not the user's fault: say so instead of 'wrong password'."""
    if isinstance(exc, AuthRetryableError):
        return ProviderUnavailable(str(exc))
    if isinstance(exc, AuthApiError) and (exc.code in RATE_LIMIT_CODES or exc.status >= 500):
        return ProviderUnavailable(exc.message)
    return otherwise


def _session(session: Session | None) -> AuthSession:
    if session is None or session.user is None:
        raise InvalidCredentials
    expires = datetime.fromtimestamp(session.expires_at or 0, UTC)
    return AuthSession(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_at=expires,
        user_id=uuid.UUID(str(session.user.id)),
        email=session.user.email or "",
    )
