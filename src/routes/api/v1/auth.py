"""Sign-in for API clients: tokens in the body, used as `Authorization: Bearer`."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from src.auth.providers import AuthSession, InvalidRefreshToken, ProviderUnavailable
from src.auth.sessions import SESSION_COOKIE, parse_session_cookie
from src.auth.tokens import KeysUnavailable, TokenError
from src.db.queries.invitations import InvitationPreview
from src.db.tenancy import user_transaction
from src.deps import AuthDep, ClientIp, Db, Now, PoolDep, SignedIn
from src.errors import ServiceUnavailable, Unauthorized
from src.middleware.rate_limit import SIGN_IN_LIMIT, limiter
from src.services import auth as auth_service
from src.services import invitations
from src.services.users import load_user

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Credentials(BaseModel):
    """Email and password."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    """A refresh token from an earlier sign-in or refresh."""

    refresh_token: str = Field(min_length=10, max_length=2048)


class LogoutRequest(BaseModel):
    """Optionally, the refresh token to revoke (API clients keep it; browsers use the cookie)."""

    refresh_token: str | None = Field(default=None, max_length=2048)


class AcceptInvitation(BaseModel):
    """What an invitee chooses."""

    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class TokenPair(BaseModel):
    """An access token (1 hour) and its single-use refresh token."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user_id: uuid.UUID
    email: str


def _pair(session: AuthSession) -> TokenPair:
    return TokenPair(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_at=session.expires_at,
        user_id=session.user_id,
        email=session.email,
    )


@router.post("/login")
@limiter.shared_limit(SIGN_IN_LIMIT, scope="sign_in")
async def login(
    request: Request,
    response: Response,
    body: Credentials,
    pool: PoolDep,
    auth: AuthDep,
    now: Now,
    ip: ClientIp,
) -> TokenPair:
    """Exchange email and password for tokens (same lockout and message as the page)."""
    session = await auth_service.sign_in(
        pool, auth.provider, email=body.email, password=body.password, ip=ip, now=now
    )
    return _pair(session)


@router.post("/refresh")
@limiter.limit("30/minute")
async def refresh(
    request: Request, response: Response, body: RefreshRequest, pool: PoolDep, auth: AuthDep
) -> TokenPair:
    """Rotate a refresh token; the old one stops working. A revoked session is not revived."""
    try:
        session = await auth.refresher.refresh(body.refresh_token)
        principal = await auth.provider.verifier.verify(session.access_token)
    except (InvalidRefreshToken, TokenError) as exc:
        raise Unauthorized("This refresh token is not valid. Sign in again.") from exc
    except (ProviderUnavailable, KeysUnavailable) as exc:
        raise ServiceUnavailable(auth_service.UNAVAILABLE) from exc
    async with user_transaction(pool, principal) as conn:
        user = await load_user(conn, principal)
    if user is None:
        raise Unauthorized("This session has ended. Sign in again.")
    return _pair(session)


@router.post("/logout", status_code=204)
async def logout(
    request: Request,
    principal: SignedIn,
    pool: PoolDep,
    auth: AuthDep,
    body: LogoutRequest | None = None,
) -> Response:
    """End the session (bearer token or browser cookie)."""
    cookie = parse_session_cookie(request.cookies.get(auth.cookies.name(SESSION_COOKIE)))
    header = request.headers.get("authorization", "")
    access = (
        header[7:].strip()
        if header.lower().startswith("bearer ")
        else (cookie[0] if cookie else "")
    )
    refresh_token = (body.refresh_token if body else None) or (cookie[1] if cookie else None)
    await auth_service.sign_out(
        pool, auth.provider, principal, access_token=access, refresh_token=refresh_token
    )
    if cookie:
        request.state.session_cookie = auth.cookies.clear_header()
    return Response(status_code=204)


@router.get("/invite/{token}")
async def invitation(token: str, db: Db, now: Now) -> InvitationPreview:
    """What an invitation link offers (organisation, email, role, expiry)."""
    return await invitations.preview(db, token=token, now=now)


@router.post("/invite/{token}", status_code=201)
@limiter.limit("10/minute")
async def accept_invitation(
    request: Request,
    response: Response,
    token: str,
    body: AcceptInvitation,
    pool: PoolDep,
    auth: AuthDep,
    now: Now,
) -> TokenPair:
    """Create the account for an invitation and sign it in."""
    session = await invitations.accept(
        pool,
        auth.provider,
        token=token,
        full_name=body.full_name,
        password=body.password,
        confirm=None,
        now=now,
    )
    return _pair(session)
