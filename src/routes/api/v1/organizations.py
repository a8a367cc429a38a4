"""Platform admins onboard GP organisations."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from src.db.queries.organizations import OrganizationSummary
from src.deps import ClientIp, Db, Now, PlatformAdmin, SettingsDep
from src.services import organizations
from src.services.organizations import NewOrganization

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


class OrganizationRequest(BaseModel):
    """A GP organisation and the email of its first admin."""

    name: str = Field(min_length=1, max_length=300)
    website: str = Field(default="", max_length=300)
    hq_country: str = Field(default="", max_length=2)
    admin_email: str = Field(min_length=3, max_length=320)


@router.get("")
async def list_organizations(user: PlatformAdmin, db: Db) -> list[OrganizationSummary]:
    """Every GP organisation with head counts."""
    return await organizations.list_organizations(db, user)


@router.post("", status_code=201)
async def create_organization(
    body: OrganizationRequest,
    user: PlatformAdmin,
    db: Db,
    now: Now,
    settings: SettingsDep,
    ip: ClientIp,
) -> NewOrganization:
    """Create a GP organisation and invite its first admin (the link is in the response)."""
    return await organizations.create_with_first_admin(
        db,
        user,
        name=body.name,
        website=body.website,
        hq_country=body.hq_country,
        admin_email=body.admin_email,
        now=now,
        public_url=settings.public_url,
        ip=ip,
    )
