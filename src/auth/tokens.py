"""Access tokens: issued by the local provider, verified for every request whatever issued them.

The verification key and algorithms come from configuration (a shared HS256 secret, or the
project's JWKS for ES256/RS256), never from the token's own header. Time is checked against
the injected clock so tests can move it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from starlette.concurrency import run_in_threadpool

Clock = Callable[[], datetime]
AUDIENCE = "authenticated"
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
ASYMMETRIC_ALGORITHMS = ("ES256", "RS256")


def token_hash(token: str) -> str:
    """What we store of a bearer secret (refresh, reset and invitation tokens): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class TokenError(Exception):
    """The token is not one we accept (bad signature, wrong issuer, malformed…)."""


class TokenExpired(TokenError):
    """The token was good but its time is up; a refresh token may renew it."""


class KeysUnavailable(Exception):
    """The signing keys (JWKS) could not be fetched: nobody can be verified right now."""


@dataclass(frozen=True)
class Principal:
    """Who a verified access token says the caller is."""

    user_id: uuid.UUID
    email: str | None
    session_id: uuid.UUID | None
    issued_at: datetime
    expires_at: datetime
    authenticated_at: datetime
    claims: dict[str, Any] = field(repr=False)


class TokenVerifier:
    """Verify access tokens with one configured key source."""

    def __init__(
        self,
        *,
        issuer: str,
        clock: Clock = utc_now,
        hs256_secret: str | None = None,
        jwks_url: str | None = None,
    ) -> None:
        if (hs256_secret is None) == (jwks_url is None):
            raise ValueError("configure exactly one of an HS256 secret or a JWKS URL")
        self.issuer = issuer
        self.clock = clock
        self._secret = hs256_secret
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=300) if jwks_url else None
        )

    async def verify(self, token: str) -> Principal:
        """Verify a token; JWKS lookups (a network call on a cache miss) run off the loop."""
        if self._jwks is not None:
            return await run_in_threadpool(self.verify_sync, token)
        return self.verify_sync(token)

    def verify_sync(self, token: str, *, allow_expired: bool = False) -> Principal:
        """Check signature, audience, issuer, role and times; raise TokenError or TokenExpired."""
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = list(ASYMMETRIC_ALGORITHMS)
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=AUDIENCE,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "sub", "aud", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            principal = _principal(claims)
        except jwt.PyJWKClientConnectionError as exc:
            raise KeysUnavailable(str(exc)) from exc
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise TokenError(str(exc)) from exc
        if claims.get("role") != "authenticated":
            raise TokenError("unsupported role")
        if principal.expires_at <= self.clock() and not allow_expired:
            raise TokenExpired("access token expired")
        return principal


def _principal(claims: dict[str, Any]) -> Principal:
    session = claims.get("session_id")
    issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
    return Principal(
        user_id=uuid.UUID(str(claims["sub"])),
        email=claims.get("email"),
        session_id=uuid.UUID(str(session)) if session else None,
        issued_at=issued_at,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        authenticated_at=_authenticated_at(claims) or issued_at,
        claims=claims,
    )


def _authenticated_at(claims: dict[str, Any]) -> datetime | None:
    """When the session signed in: the earliest `amr` timestamp (kept across refreshes)."""
    methods = [m for m in claims.get("amr") or [] if isinstance(m, dict)]
    stamps = [int(m["timestamp"]) for m in methods if isinstance(m.get("timestamp"), int | float)]
    return datetime.fromtimestamp(min(stamps), UTC) if stamps else None


def issue_access_token(
    *,
    secret: str,
    issuer: str,
    user_id: uuid.UUID,
    email: str,
    session_id: uuid.UUID,
    authenticated_at: datetime,
    now: datetime,
) -> tuple[str, datetime]:
    """Sign an access token with the claims Supabase Auth puts in its own (HS256)."""
    expires = now + ACCESS_TOKEN_LIFETIME
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "email": email,
        "role": "authenticated",
        "aal": "aal1",
        "session_id": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "amr": [{"method": "password", "timestamp": int(authenticated_at.timestamp())}],
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "is_anonymous": False,
    }
    return jwt.encode(claims, secret, algorithm="HS256"), expires
