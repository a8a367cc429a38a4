"""Platform admin pages: onboard GP organisations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from src.deps import ClientIp, Db, Now, PlatformAdmin, SettingsDep
from src.errors import DomainError
from src.routes.forms import field_errors
from src.services import organizations
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
