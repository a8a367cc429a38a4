"""Signing in and out, password resets and changes, whichever identity provider is configured.

Every sign-in failure looks the same to the caller (unknown email, wrong password, locked
account). Five failures in a row lock the account for 30 minutes, counted in the database per
account, independent of the caller's IP.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from src.auth.passwords import password_problems
from src.auth.providers import (
    AuthSession,
    IdentityProvider,
    InvalidCredentials,
    InvalidResetToken,
    ProviderUnavailable,
    WeakPassword,
)
from src.auth.tokens import Principal
from src.db.queries import auth as queries
from src.db.queries.users import insert_audit
from src.db.tenancy import Pool, service_transaction, user_transaction
from src.errors import DomainError, InvalidInput, ServiceUnavailable

logger = structlog.get_logger("lpxgp.auth")

SIGN_IN_FAILED = (
    "That email and password do not match an account we can sign in right now. "
    "After five failed attempts an account is locked for 30 minutes."
)
UNAVAILABLE = "Sign-in is temporarily unavailable. Please try again in a minute."


class SignInFailed(DomainError):
    """Credentials refused (for whatever reason: callers are never told which)."""

    status_code = 401
    code = "sign_in_failed"
    title = "Sign-in failed"


def normalise_email(email: str) -> str:
    """Emails are compared case-insensitively and without surrounding spaces."""
    return email.strip().lower()


async def sign_in(
    pool: Pool,
    provider: IdentityProvider,
    *,
    email: str,
    password: str,
    ip: str | None,
    now: datetime,
) -> AuthSession:
    """Reserve the attempt (the lock), ask the provider, record the outcome."""
    email = normalise_email(email)
    if not email or not password:
        raise SignInFailed(SIGN_IN_FAILED)
    # Counted before the password is checked, so parallel guesses cannot outrun the lock.
    async with service_transaction(pool) as conn:
        locked_until = await queries.reserve_sign_in(conn, email=email, ip=ip, now=now)
    if locked_until is not None:
        logger.warning("sign_in_refused_locked", locked_until=locked_until.isoformat())
        raise SignInFailed(SIGN_IN_FAILED)
    try:
        session = await provider.sign_in(email, password)
    except InvalidCredentials:
        async with service_transaction(pool) as conn:
            await queries.record_sign_in(
                conn, email=email, user_id=None, success=False, ip=ip, now=now
            )
        logger.warning("sign_in_failed")
        raise SignInFailed(SIGN_IN_FAILED) from None
    except ProviderUnavailable as exc:
        raise ServiceUnavailable(UNAVAILABLE) from exc
    async with service_transaction(pool) as conn:
        await queries.record_sign_in(
            conn, email=email, user_id=session.user_id, success=True, ip=ip, now=now
        )
    logger.info("signed_in", user_id=str(session.user_id))
    return session


async def sign_out(
    pool: Pool,
    provider: IdentityProvider,
    principal: Principal,
    *,
    access_token: str,
    refresh_token: str | None,
) -> None:
    """Revoke the refresh token at the provider and deny-list the session here."""
    try:
        await provider.sign_out(access_token, refresh_token)
    except ProviderUnavailable:
        logger.warning("sign_out_provider_unavailable")  # our deny-list still ends the session
    async with user_transaction(pool, principal) as conn:
        await queries.revoke_own_session(conn, session_id=principal.session_id)
        await insert_audit(
            conn, action="auth.sign_out", entity_type="account", entity_id=principal.user_id
        )
    logger.info("signed_out", user_id=str(principal.user_id))


def check_new_password(password: str, confirm: str | None, *, email: str | None) -> None:
    """InvalidInput naming the field when a new password is not acceptable."""
    problems = password_problems(password, email=email)
    if problems:
        raise InvalidInput(
            problems[0], details=[{"field": "password", "message": " ".join(problems)}]
        )
    if confirm is not None and confirm != password:
        raise InvalidInput(
            "The passwords do not match.",
            details=[{"field": "password_confirm", "message": "Type the same password twice."}],
        )


async def request_password_reset(provider: IdentityProvider, *, email: str, reset_url: str) -> None:
    """Send a reset link if the account exists; the caller always hears the same answer."""
    email = normalise_email(email)
    if "@" not in email:
        raise InvalidInput(
            "Enter the email address you sign in with.",
            details=[{"field": "email", "message": "Enter an email address."}],
        )
    try:
        await provider.request_password_reset(email, reset_url)
    except ProviderUnavailable as exc:
        raise ServiceUnavailable(UNAVAILABLE) from exc


async def reset_password(
    pool: Pool, provider: IdentityProvider, *, token: str, password: str, confirm: str
) -> AuthSession:
    """Use a reset link: new password, every other session ended, signed in afresh."""
    check_new_password(password, confirm, email=None)
    try:
        session = await provider.reset_password(token, password)
    except InvalidResetToken as exc:
        raise InvalidInput(
            "This reset link is invalid, used or expired. Ask for a new one."
        ) from exc
    except WeakPassword as exc:
        raise InvalidInput(
            exc.problems[0], details=[{"field": "password", "message": " ".join(exc.problems)}]
        ) from exc
    except ProviderUnavailable as exc:
        raise ServiceUnavailable(UNAVAILABLE) from exc
    principal = await provider.verifier.verify(session.access_token)
    await _end_other_sessions(pool, principal, action="auth.password_reset")
    return session


async def _end_other_sessions(pool: Pool, principal: Principal, *, action: str) -> None:
    """After a password change, end every session of the user except the caller's."""
    async with user_transaction(pool, principal) as conn:
        await queries.revoke_user_sessions(
            conn,
            user_id=principal.user_id,
            reason="password_changed",
            keep_session_id=principal.session_id,
        )
        await insert_audit(conn, action=action, entity_type="account", entity_id=principal.user_id)


async def change_password(
    pool: Pool,
    provider: IdentityProvider,
    principal: Principal,
    *,
    email: str,
    current: str,
    new: str,
    confirm: str | None,
    ip: str | None,
    now: datetime,
) -> None:
    """Check the current password (counted like a sign-in), set the new one, end other sessions."""
    check_new_password(new, confirm, email=email)
    try:
        check = await sign_in(pool, provider, email=email, password=current, ip=ip, now=now)
    except SignInFailed as exc:
        raise InvalidInput(
            "Your current password is not correct (or too many attempts: wait 30 minutes).",
            details=[
                {"field": "current_password", "message": "This is not your current password."}
            ],
        ) from exc
    try:
        await provider.sign_out(check.access_token, check.refresh_token)
        await provider.set_password(principal.user_id, new)
    except WeakPassword as exc:
        raise InvalidInput(
            exc.problems[0], details=[{"field": "password", "message": " ".join(exc.problems)}]
        ) from exc
    except ProviderUnavailable as exc:
        raise ServiceUnavailable(UNAVAILABLE) from exc
    await _end_other_sessions(pool, principal, action="auth.password_changed")
