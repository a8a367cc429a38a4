"""The local identity provider: Supabase Auth's behaviour on the embedded database.

Accounts live in `auth.users` (argon2id hashes); sessions and refresh tokens in the shim's
`auth.local_*` tables, reached only through the service path. Access tokens carry the same
claims as Supabase's and are signed with SESSION_SECRET.

Refresh tokens rotate on use. The child of a token is an HMAC of its parent, so a request that
arrives with the parent within the reuse interval (a burst of htmx requests) gets the same
child back, in any process; reuse after the interval revokes the whole session, as GoTrue does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

import structlog
from psycopg import errors
from starlette.concurrency import run_in_threadpool

from src.auth.passwords import hash_password, verify_password
from src.auth.providers import (
    AccountExists,
    AuthSession,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidResetToken,
)
from src.auth.tokens import Clock, TokenVerifier, issue_access_token, token_hash, utc_now
from src.db.tenancy import Pool, service_transaction

logger = structlog.get_logger("lpxgp.auth")

REUSE_INTERVAL = timedelta(seconds=10)
RESET_LINK_LIFETIME = timedelta(hours=1)


class LocalIdentityProvider:
    """Accounts and sessions in the local database."""

    name = "local"

    def __init__(self, pool: Pool, *, secret: str, issuer: str, clock: Clock = utc_now) -> None:
        self.pool = pool
        self.clock = clock
        self.issuer = issuer
        self._secret = secret
        self.verifier = TokenVerifier(issuer=issuer, clock=clock, hs256_secret=secret)

    async def sign_in(self, email: str, password: str) -> AuthSession:
        """Check the password (constant cost for unknown accounts) and open a session."""
        async with service_transaction(self.pool) as conn:
            cur = await conn.execute(
                "select id, email, encrypted_password, banned_until from auth.users "
                "where lower(email) = lower(%(email)s) and deleted_at is null",
                {"email": email.strip()},
            )
            row = await cur.fetchone()
        matches = await run_in_threadpool(verify_password, row[2] if row else None, password)
        if row is None or not matches or (row[3] is not None and row[3] > self.clock()):
            raise InvalidCredentials
        return await self._open_session(row[0], row[1])

    async def _open_session(self, user_id: uuid.UUID, email: str) -> AuthSession:
        refresh = secrets.token_urlsafe(32)
        now = self.clock()
        async with service_transaction(self.pool) as conn:
            cur = await conn.execute(
                "insert into auth.local_sessions (user_id, created_at) values (%(u)s, %(now)s) "
                "returning id",
                {"u": user_id, "now": now},
            )
            row = await cur.fetchone()
            assert row is not None
            session_id = row[0]
            await conn.execute(
                "insert into auth.local_refresh_tokens (token_hash, session_id, created_at) "
                "values (%(h)s, %(s)s, %(now)s)",
                {"h": token_hash(refresh), "s": session_id, "now": now},
            )
            await conn.execute(
                "update auth.users set last_sign_in_at = %(now)s where id = %(u)s",
                {"u": user_id, "now": now},
            )
        return self._session(user_id, email, session_id, now, refresh)

    def _session(
        self,
        user_id: uuid.UUID,
        email: str,
        session_id: uuid.UUID,
        signed_in_at: datetime,
        refresh: str,
    ) -> AuthSession:
        access, expires = issue_access_token(
            secret=self._secret,
            issuer=self.issuer,
            user_id=user_id,
            email=email,
            session_id=session_id,
            authenticated_at=signed_in_at,
            now=self.clock(),
        )
        return AuthSession(access, refresh, expires, user_id, email)

    def _child(self, parent: str) -> str:
        digest = hmac.new(self._secret.encode(), b"refresh:" + parent.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")

    async def refresh(self, refresh_token: str) -> AuthSession:
        """Rotate once; within the reuse interval return the same child; later, revoke."""
        now, parent_hash = self.clock(), token_hash(refresh_token)
        child = self._child(refresh_token)
        reused = False
        async with service_transaction(self.pool) as conn:
            cur = await conn.execute(
                "select t.session_id, t.rotated_at, s.revoked_at, s.user_id, u.email, s.created_at "
                "from auth.local_refresh_tokens t join auth.local_sessions s on s.id = "
                "t.session_id "
                "join auth.users u on u.id = s.user_id where t.token_hash = %(h)s for update of t",
                {"h": parent_hash},
            )
            row = await cur.fetchone()
            if row is None or row[2] is not None:
                raise InvalidRefreshToken
            session_id, rotated_at, _, user_id, email, signed_in_at = row
            if rotated_at is None:
                await conn.execute(
                    "update auth.local_refresh_tokens set rotated_at = %(now)s where token_hash "
                    "= %(h)s",
                    {"h": parent_hash, "now": now},
                )
                await conn.execute(
                    "insert into auth.local_refresh_tokens (token_hash, session_id, "
                    "parent_hash, created_at) "
                    "values (%(c)s, %(s)s, %(h)s, %(now)s)",
                    {"c": token_hash(child), "s": session_id, "h": parent_hash, "now": now},
                )
            elif now - rotated_at > REUSE_INTERVAL:
                reused = True
                await conn.execute(
                    "update auth.local_sessions set revoked_at = %(now)s where id = %(s)s",
                    {"s": session_id, "now": now},
                )
        if reused:
            logger.warning("refresh_token_reused", user_id=str(user_id), session_id=str(session_id))
            raise InvalidRefreshToken
        return self._session(user_id, email, session_id, signed_in_at, child)

    async def sign_out(self, access_token: str, refresh_token: str | None) -> None:
        """Revoke the session the refresh token (or the access token) belongs to."""
        session_id = None
        if not refresh_token:
            session_id = self.verifier.verify_sync(access_token, allow_expired=True).session_id
        async with service_transaction(self.pool) as conn:
            await conn.execute(
                "update auth.local_sessions set revoked_at = coalesce(revoked_at, %(now)s) "
                "where id = coalesce(%(s)s, (select session_id from auth.local_refresh_tokens "
                "where token_hash = %(h)s))",
                {"now": self.clock(), "s": session_id, "h": token_hash(refresh_token or "")},
            )

    async def create_user(self, email: str, password: str) -> uuid.UUID:
        """A confirmed account; AccountExists if the email is taken."""
        hashed = await run_in_threadpool(hash_password, password)
        try:
            async with service_transaction(self.pool) as conn:
                cur = await conn.execute(
                    "insert into auth.users (email, encrypted_password, email_confirmed_at) "
                    "values (lower(%(e)s), %(p)s, %(now)s) returning id",
                    {"e": email.strip(), "p": hashed, "now": self.clock()},
                )
                row = await cur.fetchone()
        except errors.UniqueViolation as exc:
            raise AccountExists(email) from exc
        assert row is not None
        return uuid.UUID(str(row[0]))

    async def delete_user(self, user_id: uuid.UUID) -> None:
        """Remove an account (undoing a half-finished invitation acceptance)."""
        async with service_transaction(self.pool) as conn:
            await conn.execute("delete from auth.users where id = %(u)s", {"u": user_id})

    async def set_password(self, user_id: uuid.UUID, password: str) -> None:
        """Store a new hash."""
        hashed = await run_in_threadpool(hash_password, password)
        async with service_transaction(self.pool) as conn:
            await conn.execute(
                "update auth.users set encrypted_password = %(p)s, updated_at = %(now)s where "
                "id = %(u)s",
                {"p": hashed, "u": user_id, "now": self.clock()},
            )

    async def request_password_reset(self, email: str, reset_url: str) -> None:
        """Write the reset link to the outbox and the log (development has no mail server)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        async with service_transaction(self.pool) as conn:
            cur = await conn.execute(
                "select id, email from auth.users where lower(email) = lower(%(e)s) and "
                "deleted_at is null",
                {"e": email.strip()},
            )
            row = await cur.fetchone()
            if row is None:
                return
            await conn.execute(
                "insert into auth.local_one_time_tokens (token_hash, user_id, kind, expires_at, "
                "created_at) "
                "values (%(h)s, %(u)s, 'recovery', %(exp)s, %(now)s)",
                {"h": token_hash(token), "u": row[0], "exp": now + RESET_LINK_LIFETIME, "now": now},
            )
            link = f"{reset_url}?token={token}"
            await conn.execute(
                "insert into public.outbox (to_email, kind, subject, body) "
                "values (%(to)s, 'password_reset', %(subject)s, %(body)s)",
                {
                    "to": row[1],
                    "subject": "Reset your LPxGP password",
                    "body": f"Someone asked to reset the password of this account. If it was you, "
                    f"open this link within an hour:\n\n{link}\n\nIf not, ignore this email.",
                },
            )
        logger.info("password_reset_link", to=row[1], link=link)

    async def reset_password(self, token: str, password: str) -> AuthSession:
        """Use a reset token once: new password, every old session revoked, a fresh session."""
        now = self.clock()
        hashed = await run_in_threadpool(hash_password, password)
        async with service_transaction(self.pool) as conn:
            cur = await conn.execute(
                "update auth.local_one_time_tokens set used_at = %(now)s "
                "where token_hash = %(h)s and kind = 'recovery' and used_at is null "
                "and expires_at > %(now)s returning user_id",
                {"h": token_hash(token), "now": now},
            )
            row = await cur.fetchone()
            if row is None:
                raise InvalidResetToken
            user_id = row[0]
            cur = await conn.execute(
                "update auth.users set encrypted_password = %(p)s, updated_at = %(now)s "
                "where id = %(u)s returning email",
                {"p": hashed, "u": user_id, "now": now},
            )
            email = (await cur.fetchone() or [""])[0]
            await conn.execute(
                "update auth.local_sessions set revoked_at = %(now)s where user_id = %(u)s and "
                "revoked_at is null",
                {"u": user_id, "now": now},
            )
        return await self._open_session(user_id, email)
