"""The browser session: one cookie with the access and refresh tokens, refreshed at most once.

Several htmx requests can arrive together after the access token expires. Each refresh token
is exchanged once per process; concurrent requests wait for that exchange and all get the
same new tokens (and the same Set-Cookie). Across processes the provider's reuse interval
covers the same race.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from src.auth.providers import AuthSession, IdentityProvider
from src.auth.tokens import Clock

SESSION_COOKIE = "lpxgp_session"
CSRF_COOKIE = "lpxgp_csrf"
SESSION_MAX_AGE = 14 * 24 * 3600  # the absolute lifetime of a browser session
SEPARATOR = "~"


@dataclass(frozen=True)
class CookieSpec:
    """How our cookies are named and flagged for the site's scheme.

    On https every cookie is `__Host-` prefixed, Secure, HttpOnly, SameSite=Lax, Path=/. Browsers
    refuse `__Host-` cookies without Secure, so plain-http localhost uses the bare names.
    """

    secure: bool

    @classmethod
    def for_url(cls, public_url: str) -> CookieSpec:
        """Secure cookies unless the site is served over plain http."""
        return cls(secure=urlsplit(public_url).scheme == "https")

    def name(self, base: str) -> str:
        """The cookie's name on this scheme."""
        return f"__Host-{base}" if self.secure else base

    def header(self, base: str, value: str, *, max_age: int) -> str:
        """A Set-Cookie header value."""
        flags = "; Secure" if self.secure else ""
        return (
            f"{self.name(base)}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{flags}"
        )

    def session_header(self, session: AuthSession) -> str:
        """Set the session cookie."""
        value = f"{session.access_token}{SEPARATOR}{session.refresh_token}"
        return self.header(SESSION_COOKIE, value, max_age=SESSION_MAX_AGE)

    def clear_header(self, base: str = SESSION_COOKIE) -> str:
        """Delete a cookie."""
        return self.header(base, "", max_age=0)


def parse_session_cookie(value: str | None) -> tuple[str, str] | None:
    """Split the cookie into (access token, refresh token); None when it is not ours."""
    if not value or value.count(SEPARATOR) != 1:
        return None
    access, refresh = value.split(SEPARATOR)
    return (access, refresh) if access and refresh else None


class Refresher:
    """Exchange each refresh token once; concurrent and slightly late callers share the result."""

    def __init__(
        self, provider: IdentityProvider, *, clock: Clock, reuse_seconds: float = 30
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.reuse_seconds = reuse_seconds
        self._inflight: dict[str, asyncio.Task[AuthSession]] = {}
        self._done: dict[str, tuple[float, AuthSession]] = {}

    async def refresh(self, refresh_token: str) -> AuthSession:
        """The new session for this refresh token (raises the provider's errors)."""
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        now = time.monotonic()
        self._done = {k: v for k, v in self._done.items() if now - v[0] < self.reuse_seconds}
        if key in self._done:
            return self._done[key][1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self.provider.refresh(refresh_token))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        session = await asyncio.shield(task)
        self._done[key] = (time.monotonic(), session)
        return session


@dataclass
class AuthRuntime:
    """Everything the request path needs to know about identity, built once per app."""

    provider: IdentityProvider
    refresher: Refresher
    cookies: CookieSpec
    clock: Clock
