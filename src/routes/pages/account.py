"""The signed-in user's profile: name and password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from src.deps import AuthDep, ClientIp, CurrentUser, Db, Now, PoolDep, SignedIn
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import auth as auth_service
from src.services import users
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _profile(request: Request, user: User, status_code: int = 200, **context: Any) -> Response:
    base = {
        "user": user,
        "values": {"full_name": user.full_name},
        "errors": {},
        "password_errors": {},
    }
    response = templates.TemplateResponse(
        request, "account/profile.html", {**base, **context}, status_code=status_code
    )
    response.headers["HX-Push-Url"] = "/profile"
    return response


@router.get("/profile", response_class=HTMLResponse)
async def profile(request: Request, user: CurrentUser) -> Response:
    return _profile(request, user)


@router.post("/profile/name", response_class=HTMLResponse)
async def rename(request: Request, user: CurrentUser, db: Db, full_name: FormStr = "") -> Response:
    try:
        name = await users.rename(db, user, full_name=full_name)
    except DomainError as exc:
        return _profile(
            request,
            user,
            exc.status_code,
            errors=field_errors(exc),
            values={"full_name": full_name},
        )
    return _profile(
        request, user.model_copy(update={"full_name": name}), notice="Your name is saved."
    )


@router.post("/profile/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    user: CurrentUser,
    principal: SignedIn,
    pool: PoolDep,
    auth: AuthDep,
    now: Now,
    ip: ClientIp,
    current_password: FormStr = "",
    password: FormStr = "",
    password_confirm: FormStr = "",
) -> Response:
    try:
        await auth_service.change_password(
            pool,
            auth.provider,
            principal,
            email=user.email or "",
            current=current_password,
            new=password,
            confirm=password_confirm,
            ip=ip,
            now=now,
        )
    except DomainError as exc:
        return _profile(
            request,
            user,
            exc.status_code,
            password_errors=field_errors(exc),
            password_message=exc.message,
        )
    return _profile(
        request, user, notice="Your password is changed. Every other session was signed out."
    )
