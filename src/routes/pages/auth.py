"""Sign in and out, password reset, and accepting an invitation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from src.auth.providers import AuthSession
from src.auth.sessions import SESSION_COOKIE, parse_session_cookie
from src.deps import AuthDep, ClientIp, Db, Now, OptionalUser, PoolDep, PrincipalDep, SettingsDep
from src.errors import DomainError, safe_next
from src.middleware.rate_limit import SIGN_IN_LIMIT, limiter
from src.routes.forms import field_errors
from src.services import auth as auth_service
from src.services import invitations
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _signed_in(request: Request, auth: AuthDep, session: AuthSession, target: str) -> Response:
    request.state.session_cookie = auth.cookies.session_header(session)
    return RedirectResponse(safe_next(target), status_code=303)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request, name, {"values": {}, "errors": {}, **context}, status_code=status_code
    )


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: OptionalUser, next: str = "/dashboard") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = "You have been signed out." if request.query_params.get("signed_out") else None
    return _page(request, "auth/login.html", {"next": safe_next(next), "notice": notice})


@router.post("/login", response_class=HTMLResponse)
@limiter.shared_limit(SIGN_IN_LIMIT, scope="sign_in")
async def login(
    request: Request,
    pool: PoolDep,
    auth: AuthDep,
    now: Now,
    ip: ClientIp,
    email: FormStr = "",
    password: FormStr = "",
    next: FormStr = "/dashboard",
) -> Response:
    try:
        session = await auth_service.sign_in(
            pool, auth.provider, email=email, password=password, ip=ip, now=now
        )
    except DomainError as exc:
        context = {"next": safe_next(next), "message": exc.message, "values": {"email": email}}
        return _page(request, "auth/login.html", context, status_code=exc.status_code)
    return _signed_in(request, auth, session, next)


@router.post("/logout")
async def logout(
    request: Request, pool: PoolDep, auth: AuthDep, principal: PrincipalDep
) -> Response:
    tokens = parse_session_cookie(request.cookies.get(auth.cookies.name(SESSION_COOKIE)))
    if principal is not None and tokens is not None:
        await auth_service.sign_out(
            pool, auth.provider, principal, access_token=tokens[0], refresh_token=tokens[1]
        )
    request.state.session_cookie = auth.cookies.clear_header()
    return RedirectResponse("/login?signed_out=1", status_code=303)


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_page(request: Request) -> Response:
    return _page(request, "auth/forgot.html", {})


@router.post("/forgot-password", response_class=HTMLResponse)
@limiter.limit("5/minute")
async def forgot(
    request: Request, auth: AuthDep, settings: SettingsDep, email: FormStr = ""
) -> Response:
    try:
        await auth_service.request_password_reset(
            auth.provider,
            email=email,
            reset_url=f"{settings.public_url.rstrip('/')}/reset-password",
        )
    except DomainError as exc:
        context = {"message": exc.message, "errors": field_errors(exc), "values": {"email": email}}
        return _page(request, "auth/forgot.html", context, status_code=exc.status_code)
    return _page(request, "auth/forgot.html", {"sent": True, "values": {"email": email}})


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_page(request: Request, token: str = "", token_hash: str = "") -> Response:
    # The local provider's link carries `token`; Supabase's recovery email carries `token_hash`.
    return _page(request, "auth/reset.html", {"token": token or token_hash})


@router.post("/reset-password", response_class=HTMLResponse)
@limiter.limit("10/minute")
async def reset(
    request: Request,
    pool: PoolDep,
    auth: AuthDep,
    token: FormStr = "",
    password: FormStr = "",
    password_confirm: FormStr = "",
) -> Response:
    try:
        session = await auth_service.reset_password(
            pool, auth.provider, token=token, password=password, confirm=password_confirm
        )
    except DomainError as exc:
        context = {"token": token, "message": exc.message, "errors": field_errors(exc)}
        return _page(request, "auth/reset.html", context, status_code=exc.status_code)
    return _signed_in(request, auth, session, "/dashboard")


@router.get("/invite/{token}", response_class=HTMLResponse)
async def invitation_page(request: Request, token: str, db: Db, now: Now) -> Response:
    invitation = await invitations.preview(db, token=token, now=now)
    return _page(request, "auth/invite.html", {"invitation": invitation, "token": token})


@router.post("/invite/{token}", response_class=HTMLResponse)
@limiter.limit("10/minute")
async def accept_invitation(
    request: Request,
    token: str,
    pool: PoolDep,
    db: Db,
    auth: AuthDep,
    now: Now,
    full_name: FormStr = "",
    password: FormStr = "",
    password_confirm: FormStr = "",
) -> Response:
    try:
        session = await invitations.accept(
            pool,
            auth.provider,
            token=token,
            full_name=full_name,
            password=password,
            confirm=password_confirm,
            now=now,
        )
    except DomainError as exc:
        if not field_errors(exc) and exc.status_code in (404, 409):
            raise
        invitation = await invitations.preview(db, token=token, now=now)
        context = {
            "invitation": invitation,
            "token": token,
            "message": exc.message,
            "errors": field_errors(exc),
            "values": {"full_name": full_name},
        }
        return _page(request, "auth/invite.html", context, status_code=exc.status_code)
    return _signed_in(request, auth, session, "/dashboard")
