"""Organisations, as platform admins onboard them: create one and invite its first admin."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel

from src.db.queries import auth as auth_queries
from src.db.queries import invitations as invitation_queries
from src.db.queries import organizations as queries
from src.db.queries import users as user_queries
from src.db.queries.invitations import InvitationRow
from src.db.queries.organizations import OrganizationSummary
from src.db.queries.users import Conn, MemberRow, insert_audit
from src.errors import Forbidden, InvalidInput, NotFound
from src.services import invitations
from src.services.invitations import IssuedInvitation
from src.services.taxonomy import COUNTRY_NAMES
from src.services.users import User


class NewOrganization(BaseModel):
    """The organisation and the invitation of its first admin."""

    org_id: uuid.UUID
    name: str
    invitation: IssuedInvitation


def require_platform_admin(user: User) -> None:
    """Forbidden unless the user is a platform admin."""
    if not user.is_platform_admin:
        raise Forbidden("Only platform admins can do this.")


def validate(name: str, website: str, country: str) -> tuple[str, str | None, str | None]:
    """Clean the fields, or InvalidInput naming every bad one."""
    problems = []
    name = " ".join(name.split())
    if not 1 <= len(name) <= 300:
        problems.append({"field": "name", "message": "Enter the organisation's name."})
    website = website.strip()
    if website and not re.match(r"^https?://[^\s/]+\.[^\s]+$", website):
        problems.append(
            {"field": "website", "message": "Enter a full address such as https://firm.com."}
        )
    country = country.strip().upper()
    if country and country not in COUNTRY_NAMES:
        problems.append({"field": "hq_country", "message": "Choose a country from the list."})
    if problems:
        raise InvalidInput("Please correct the highlighted fields.", details=problems)
    return name, website or None, country or None


async def create_with_first_admin(
    conn: Conn,
    user: User,
    *,
    name: str,
    website: str,
    hq_country: str,
    admin_email: str,
    now: datetime,
    public_url: str,
    ip: str | None,
) -> NewOrganization:
    """A GP organisation and an admin invitation, in one transaction."""
    require_platform_admin(user)
    name, website_value, country = validate(name, website, hq_country)
    invitations.validate_invitee(admin_email, "admin")
    async with conn.transaction():
        org_id = await queries.insert_gp_organization(
            conn, name=name, website=website_value, hq_country=country
        )
        issued = await invitations.invite(
            conn,
            org_id=org_id,
            org_name=name,
            email=admin_email,
            role="admin",
            now=now,
            public_url=public_url,
            ip=ip,
        )
        await insert_audit(
            conn,
            action="organization.created",
            org_id=org_id,
            entity_type="organization",
            entity_id=org_id,
            details={"name": name},
            ip=ip,
        )
    return NewOrganization(org_id=org_id, name=name, invitation=issued)


async def list_organizations(conn: Conn, user: User) -> list[OrganizationSummary]:
    """Every GP organisation, for the platform admin's list."""
    require_platform_admin(user)
    return await queries.list_gp_organizations(conn)


async def set_suspended(
    conn: Conn, user: User, org_id: uuid.UUID, *, suspend: bool, now: datetime, ip: str | None
) -> OrganizationSummary:
    """Suspend an organisation (its members are signed out and shut out, rows kept) or lift it.

    Row-level security does the shutting out: the membership functions skip a suspended
    organisation. Repeating either is harmless.
    """
    organization = await get_organization(conn, user, org_id)
    if (organization.suspended_at is not None) == suspend:
        return organization
    async with conn.transaction():
        members = await queries.set_suspended(conn, org_id, at=now if suspend else None)
        if suspend:
            for member in members:
                await auth_queries.revoke_user_sessions(
                    conn, user_id=member, reason="organisation_suspended"
                )
        await insert_audit(
            conn,
            action="organization.suspended" if suspend else "organization.reactivated",
            org_id=org_id,
            entity_type="organization",
            entity_id=org_id,
            details={"members": len(members)},
            ip=ip,
        )
    return organization.model_copy(update={"suspended_at": now if suspend else None})


class OrganizationTeam(BaseModel):
    """An organisation as its console page shows it: counts, members, open invitations."""

    organization: OrganizationSummary
    members: list[MemberRow]
    invitations: list[InvitationRow]


async def team(conn: Conn, user: User, org_id: uuid.UUID) -> OrganizationTeam:
    """One GP organisation with its members and open invitations (platform admins)."""
    organization = await get_organization(conn, user, org_id)
    return OrganizationTeam(
        organization=organization,
        members=await user_queries.list_members(conn, org_id=org_id),
        invitations=await invitation_queries.list_open_invitations(conn, org_id=org_id),
    )


async def count_organizations(conn: Conn, user: User) -> int:
    """How many GP organisations the platform has (platform admins)."""
    require_platform_admin(user)
    return await queries.count_gp_organizations(conn)


async def get_organization(conn: Conn, user: User, org_id: uuid.UUID) -> OrganizationSummary:
    """One GP organisation for the platform admin, or NotFound."""
    require_platform_admin(user)
    found = await queries.get_gp_organization(conn, org_id)
    if found is None:
        raise NotFound("organisation", org_id)
    return found
