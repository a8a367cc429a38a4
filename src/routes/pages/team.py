"""The team page: an org admin's members, roles and invitations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from src.db.queries.invitations import list_open_invitations
from src.deps import ClientIp, Db, Now, OrgAdmin, SettingsDep
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import invitations, users
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


async def _team(
    request: Request, db: Db, user: User, status_code: int = 200, **context: Any
) -> Response:
    assert user.org_id is not None
    members = await users.list_team(db, user)
    pending = await list_open_invitations(db, org_id=user.org_id)
    base = {"user": user, "members": members, "invitations": pending, "values": {}, "errors": {}}
    response = templates.TemplateResponse(
        request, "team/index.html", {**base, **context}, status_code=status_code
    )
    response.headers["HX-Push-Url"] = "/team"
    return response


@router.get("/team", response_class=HTMLResponse)
async def team(request: Request, user: OrgAdmin, db: Db) -> Response:
    return await _team(request, db, user)


@router.post("/team/invitations", response_class=HTMLResponse)
async def invite(
    request: Request,
    user: OrgAdmin,
    db: Db,
    now: Now,
    settings: SettingsDep,
    ip: ClientIp,
    email: FormStr = "",
    role: FormStr = "member",
) -> Response:
    assert user.org_id is not None and user.org_name is not None
    try:
        issued = await invitations.invite(
            db,
            org_id=user.org_id,
            org_name=user.org_name,
            email=email,
            role=role,
            now=now,
            public_url=settings.public_url,
            ip=ip,
        )
    except DomainError as exc:
        return await _team(
            request,
            db,
            user,
            exc.status_code,
            message=exc.message,
            errors=field_errors(exc),
            values={"email": email, "role": role},
        )
    return await _team(request, db, user, issued=issued)


@router.post("/team/invitations/{invitation_id}/resend", response_class=HTMLResponse)
async def resend(
    request: Request,
    invitation_id: uuid.UUID,
    user: OrgAdmin,
    db: Db,
    now: Now,
    settings: SettingsDep,
    ip: ClientIp,
) -> Response:
    assert user.org_id is not None and user.org_name is not None
    issued = await invitations.resend(
        db,
        org_id=user.org_id,
        org_name=user.org_name,
        invitation_id=invitation_id,
        now=now,
        public_url=settings.public_url,
        ip=ip,
    )
    return await _team(request, db, user, issued=issued)


@router.post("/team/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
async def revoke(
    request: Request, invitation_id: uuid.UUID, user: OrgAdmin, db: Db, now: Now, ip: ClientIp
) -> Response:
    assert user.org_id is not None
    row = await invitations.revoke(
        db, org_id=user.org_id, invitation_id=invitation_id, now=now, ip=ip
    )
    return await _team(request, db, user, notice=f"The invitation to {row.email} is revoked.")


@router.post("/team/members/{person_id}/role", response_class=HTMLResponse)
async def change_role(
    request: Request, person_id: uuid.UUID, user: OrgAdmin, db: Db, ip: ClientIp, role: FormStr = ""
) -> Response:
    try:
        member = await users.change_role(db, user, person_id=person_id, role=role, ip=ip)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _team(request, db, user, exc.status_code, message=exc.message)
    return await _team(request, db, user, notice=f"{member.full_name} is now {member.role}.")


@router.post("/team/members/{person_id}/deactivate", response_class=HTMLResponse)
async def deactivate(
    request: Request, person_id: uuid.UUID, user: OrgAdmin, db: Db, now: Now, ip: ClientIp
) -> Response:
    try:
        member = await users.deactivate(db, user, person_id=person_id, today=now.date(), ip=ip)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _team(request, db, user, exc.status_code, message=exc.message)
    return await _team(
        request, db, user, notice=f"{member.full_name} is deactivated and signed out."
    )
