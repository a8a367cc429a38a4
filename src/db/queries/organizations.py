"""Organisations as platform admins manage them."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class OrganizationSummary(BaseModel):
    """A GP organisation with its head counts."""

    id: uuid.UUID
    name: str
    website: str | None
    hq_country: str | None
    members: int
    funds: int
    open_invitations: int
    created_at: datetime
    suspended_at: datetime | None


async def insert_gp_organization(
    conn: Conn, *, name: str, website: str | None, hq_country: str | None
) -> uuid.UUID:
    """A new GP organisation with its (empty) profile."""
    cur = await conn.execute(
        "insert into public.organizations (name, is_gp, website, hq_country) "
        "values (%(name)s, true, %(website)s, %(country)s) returning id",
        {"name": name, "website": website, "country": hq_country},
    )
    row = await cur.fetchone()
    assert row is not None
    await conn.execute("insert into public.gp_profiles (org_id) values (%(id)s)", {"id": row[0]})
    return uuid.UUID(str(row[0]))


SUMMARY = """
    select o.id, o.name, o.website, o.hq_country, o.created_at, o.suspended_at,
      (select count(*) from public.employment e
       where e.org_id = o.id and e.is_current and e.access_role is not null) as members,
      (select count(*) from public.funds f where f.org_id = o.id) as funds,
      (select count(*) from public.invitations i
       where i.org_id = o.id and i.accepted_at is null and i.revoked_at is null) as
         open_invitations
    from public.organizations o where o.is_gp
"""


async def list_gp_organizations(conn: Conn) -> list[OrganizationSummary]:
    """Every GP organisation visible to the caller, with counts, by name."""
    cur = conn.cursor(row_factory=class_row(OrganizationSummary))
    await cur.execute(SUMMARY + " order by o.name")
    return await cur.fetchall()


async def set_suspended(conn: Conn, org_id: uuid.UUID, *, at: datetime | None) -> list[uuid.UUID]:
    """Suspend (`at`) or reactivate (None) an organisation; the sign-ins of its current members."""
    await conn.execute(
        "update public.organizations set suspended_at = %(at)s where id = %(id)s",
        {"at": at, "id": org_id},
    )
    cur = await conn.execute(
        "select p.auth_user_id from public.employment e join public.people p on p.id = e.person_id"
        " where e.org_id = %(id)s and e.is_current and p.auth_user_id is not null",
        {"id": org_id},
    )
    return [row[0] for row in await cur.fetchall()]


async def count_gp_organizations(conn: Conn) -> int:
    """How many GP organisations the caller sees."""
    cur = await conn.execute("select count(*) from public.organizations where is_gp")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def get_gp_organization(conn: Conn, org_id: uuid.UUID) -> OrganizationSummary | None:
    """One GP organisation with its counts, or None (also when RLS hides it)."""
    cur = conn.cursor(row_factory=class_row(OrganizationSummary))
    await cur.execute(SUMMARY + " and o.id = %(id)s", {"id": org_id})
    return await cur.fetchone()
