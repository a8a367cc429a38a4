"""The identity provider interface, its session type and its errors.

Two implementations: `SupabaseIdentityProvider` (GoTrue over HTTP) in production and
`LocalIdentityProvider` (tables in the local `auth` schema) on the embedded default.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.auth.tokens import TokenVerifier


@dataclass(frozen=True)
class AuthSession:
    """What a successful sign-in or refresh hands back."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    user_id: uuid.UUID
    email: str


class AuthError(Exception):
    """Base of identity-provider failures."""


class InvalidCredentials(AuthError):
    """Unknown email, wrong password or disabled account: callers must not say which."""


class InvalidRefreshToken(AuthError):
    """The refresh token is unknown, revoked or was reused after rotation."""


class InvalidResetToken(AuthError):
    """The password-reset link is unknown, used or expired."""


class AccountExists(AuthError):
    """An account with this email already exists."""


class WeakPassword(AuthError):
    """The provider refused the password; `problems` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ProviderUnavailable(AuthError):
    """The identity service did not answer, or is rate limiting us."""


class IdentityProvider(Protocol):
    """Sign-in, refresh, sign-out and account changes, whichever service holds the accounts."""

    name: str
    verifier: TokenVerifier

    async def sign_in(self, email: str, password: str) -> AuthSession:
        """Exchange email and password for a session."""
        ...

    async def refresh(self, refresh_token: str) -> AuthSession:
        """Rotate a refresh token into a new session."""
        ...

    async def sign_out(self, access_token: str, refresh_token: str | None) -> None:
        """Revoke the session's refresh tokens."""
        ...

    async def create_user(self, email: str, password: str) -> uuid.UUID:
        """Create a confirmed account (invitation acceptance)."""
        ...

    async def delete_user(self, user_id: uuid.UUID) -> None:
        """Remove an account."""
        ...

    async def set_password(self, user_id: uuid.UUID, password: str) -> None:
        """Replace a user's password."""
        ...

    async def request_password_reset(self, email: str, reset_url: str) -> None:
        """Send a reset link if the account exists; silent either way."""
        ...

    async def reset_password(self, token: str, password: str) -> AuthSession:
        """Set a new password with a reset token; returns a fresh session for that user."""
        ...
