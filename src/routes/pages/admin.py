"""Platform admin pages: the console overview; GP organisations and their members."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from src.db.queries.organizations import OrganizationSummary
from src.deps import ClientIp, Db, Now, PlatformAdmin, PoolDep, SettingsDep
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import console, invitations, organizations, users
from src.services.taxonomy import COUNTRY_NAMES
from src.services.users import User
from src.templating import templates

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


async def _organizations(
    request: Request, db: Db, user: User, status_code: int = 200, **context: Any
) -> Response:
    rows = await organizations.list_organizations(db, user)
    countries = sorted(COUNTRY_NAMES.items(), key=lambda item: item[1])
    base = {"user": user, "organizations": rows, "countries": countries, "values": {}, "errors": {}}
    response = templates.TemplateResponse(
        request, "admin/organizations.html", {**base, **context}, status_code=status_code
    )
    response.headers["HX-Push-Url"] = "/admin/organizations"
    return response


@router.get("/admin/organizations", response_class=HTMLResponse)
async def list_organizations(request: Request, user: PlatformAdmin, db: Db) -> Response:
    return await _organizations(request, db, user)


@router.post("/admin/organizations", response_class=HTMLResponse)
async def create_organization(
    request: Request,
    user: PlatformAdmin,
    db: Db,
    now: Now,
    settings: SettingsDep,
    ip: ClientIp,
    name: FormStr = "",
    website: FormStr = "",
    hq_country: FormStr = "",
    admin_email: FormStr = "",
) -> Response:
    values = {
        "name": name,
        "website": website,
        "hq_country": hq_country,
        "admin_email": admin_email,
    }
    try:
        created = await organizations.create_with_first_admin(
            db,
            user,
            name=name,
            website=website,
            hq_country=hq_country,
            admin_email=admin_email,
            now=now,
            public_url=settings.public_url,
            ip=ip,
        )
    except DomainError as exc:
        errors = field_errors(exc)
        if "email" in errors:
            errors["admin_email"] = errors.pop("email")
        return await _organizations(
            request, db, user, exc.status_code, message=exc.message, errors=errors, values=values
        )
    return await _organizations(request, db, user, created=created)


async def _organization(
    request: Request, db: Db, user: User, org_id: uuid.UUID, status_code: int = 200, **context: Any
) -> Response:
    page = await organizations.team(db, user, org_id)
    base = {"user": user, **dict(page), "values": {}, "errors": {}}
    response = templates.TemplateResponse(
        request, "admin/organization.html", {**base, **context}, status_code=status_code
    )
    response.headers["HX-Push-Url"] = f"/admin/organizations/{org_id}"
    return response


async def _team_change(
    request: Request,
    db: Db,
    user: User,
    org_id: uuid.UUID,
    change: Callable[[OrganizationSummary], Awaitable[dict[str, Any]]],
    values: dict[str, str] | None = None,
) -> Response:
    """Run a change to the organisation's team, then show it with the outcome or the refusal.

    `change` returns what the page shows (a notice, or the issued invitation); a refusal
    keeps the submitted `values` and names the bad fields.
    """
    organization = await organizations.get_organization(db, user, org_id)  # 404 first
    try:
        outcome = await change(organization)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _organization(request, db, user, org_id, exc.status_code,
                                   message=exc.message, errors=field_errors(exc),
                                   values=values or {})  # fmt: skip
    return await _organization(request, db, user, org_id, **outcome)


@router.get("/admin/organizations/{org_id}", response_class=HTMLResponse)
async def organization(
    request: Request, org_id: uuid.UUID, user: PlatformAdmin, db: Db
) -> Response:
    return await _organization(request, db, user, org_id)


@router.post("/admin/organizations/{org_id}/members/{person_id}/role", response_class=HTMLResponse)
async def change_member_role(
    request: Request,
    org_id: uuid.UUID,
    person_id: uuid.UUID,
    user: PlatformAdmin,
    db: Db,
    ip: ClientIp,
    role: FormStr = "",
) -> Response:
    async def change(_: OrganizationSummary) -> dict[str, Any]:
        member = await users.change_role(
            db, user, person_id=person_id, role=role, ip=ip, org_id=org_id
        )
        return {"notice": f"{member.full_name} is now {member.role}."}

    return await _team_change(request, db, user, org_id, change)


@router.post(
    "/admin/organizations/{org_id}/members/{person_id}/deactivate", response_class=HTMLResponse
)
async def deactivate_member(
    request: Request,
    org_id: uuid.UUID,
    person_id: uuid.UUID,
    user: PlatformAdmin,
    db: Db,
    now: Now,
    ip: ClientIp,
) -> Response:
    async def change(_: OrganizationSummary) -> dict[str, Any]:
        member = await users.deactivate(
            db, user, person_id=person_id, today=now.date(), ip=ip, org_id=org_id
        )
        return {"notice": f"{member.full_name} is deactivated and signed out."}

    return await _team_change(request, db, user, org_id, change)


@router.post("/admin/organizations/{org_id}/invitations", response_class=HTMLResponse)
async def invite_to_organization(
    request: Request,
    org_id: uuid.UUID,
    user: PlatformAdmin,
    db: Db,
    now: Now,
    settings: SettingsDep,
    ip: ClientIp,
    email: FormStr = "",
    role: FormStr = "admin",
) -> Response:
    async def change(organization: OrganizationSummary) -> dict[str, Any]:
        issued = await invitations.invite(
            db, org_id=org_id, org_name=organization.name, email=email, role=role, now=now,
            public_url=settings.public_url, ip=ip,
        )  # fmt: skip
        return {"issued": issued}

    values = {"email": email, "role": role}
    return await _team_change(request, db, user, org_id, change, values)


@router.post(
    "/admin/organizations/{org_id}/invitations/{invitation_id}/resend",
    response_class=HTMLResponse,
)
async def resend_invitation(
    request: Request,
    org_id: uuid.UUID,
    invitation_id: uuid.UUID,
    user: PlatformAdmin,
    db: Db,
    now: Now,
    settings: SettingsDep,
    ip: ClientIp,
) -> Response:
    async def change(organization: OrganizationSummary) -> dict[str, Any]:
        issued = await invitations.resend(
            db, org_id=org_id, org_name=organization.name, invitation_id=invitation_id,
            now=now, public_url=settings.public_url, ip=ip,
        )  # fmt: skip
        return {"issued": issued}

    return await _team_change(request, db, user, org_id, change)


@router.post(
    "/admin/organizations/{org_id}/invitations/{invitation_id}/revoke",
    response_class=HTMLResponse,
)
async def revoke_invitation(
    request: Request,
    org_id: uuid.UUID,
    invitation_id: uuid.UUID,
    user: PlatformAdmin,
    db: Db,
    now: Now,
    ip: ClientIp,
) -> Response:
    async def change(_: OrganizationSummary) -> dict[str, Any]:
        row = await invitations.revoke(
            db, org_id=org_id, invitation_id=invitation_id, now=now, ip=ip
        )
        return {"notice": f"The invitation to {row.email} is revoked."}

    return await _team_change(request, db, user, org_id, change)


@router.get("/admin", response_class=HTMLResponse)
async def overview(
    request: Request, user: PlatformAdmin, db: Db, pool: PoolDep, settings: SettingsDep
) -> Response:
    """The console's front page: health, the week's figures and what needs attention."""
    view = await console.overview(
        db, user, pool=pool, settings=settings, providers=request.app.state.providers
    )
    return templates.TemplateResponse(request, "admin/index.html", {"user": user, **vars(view)})


@router.post("/admin/organizations/{org_id}/{change}", response_class=HTMLResponse)
async def suspend_or_reactivate(
    request: Request,
    org_id: uuid.UUID,
    change: Literal["suspend", "reactivate"],
    user: PlatformAdmin,
    db: Db,
    now: Now,
    ip: ClientIp,
) -> Response:
    suspend = change == "suspend"
    org = await organizations.set_suspended(db, user, org_id, suspend=suspend, now=now, ip=ip)
    notice = (
        f"{org.name} is suspended: its members are signed out and cannot use LPxGP."
        if suspend
        else f"{org.name} is active again: its members can sign in."
    )
    return await _organization(request, db, user, org_id, notice=notice)
