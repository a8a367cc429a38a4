"""People, their memberships and the audit log, as the signed-in user sees them (RLS)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class UserRow(BaseModel):
    """The signed-in person and their current GP organisation (if any)."""

    person_id: uuid.UUID
    full_name: str
    email: str | None
    is_platform_admin: bool
    org_id: uuid.UUID | None
    org_name: str | None
    role: str | None
    session_active: bool


class MemberRow(BaseModel):
    """Someone employed by an organisation with a sign-in role."""

    person_id: uuid.UUID
    user_id: uuid.UUID | None
    full_name: str
    email: str | None
    title: str | None
    role: str
    is_current: bool
    started_on: date | None
    ended_on: date | None


# `(select auth.uid())`, not `auth.uid()`: the sub-select is evaluated once, so the comparison is
# a plain leakproof equality that row-level security lets the planner answer from the unique
# index. A bare call is filtered after every row's policy check: a sequential scan of all
# people (0.9 s per request with 150k people).
CURRENT_USER = """
        select p.id as person_id, p.full_name, coalesce(p.email, auth.email()) as email,
               p.is_super_admin as is_platform_admin, m.org_id, o.name as org_name,
               m.access_role as role,
               public.session_is_active(%(session_id)s, %(authenticated_at)s) as session_active
        from public.people p
        left join lateral (
          select e.org_id, e.access_role from public.employment e
          where e.person_id = p.id and e.is_current and e.access_role is not null
            and e.org_id in (select public.user_org_ids())  -- not a suspended organisation
          order by array_position(array['admin', 'member', 'viewer'], e.access_role), e.created_at
          limit 1
        ) m on true
        left join public.organizations o on o.id = m.org_id
        where p.auth_user_id = (select auth.uid())
        """


async def get_current_user(
    conn: Conn, *, session_id: uuid.UUID | None, authenticated_at: datetime
) -> UserRow | None:
    """The person behind auth.uid(), their strongest current GP membership, and session validity."""
    cur = conn.cursor(row_factory=class_row(UserRow))
    await cur.execute(
        CURRENT_USER,
        {"session_id": session_id, "authenticated_at": authenticated_at},
    )
    return await cur.fetchone()


async def update_own_name(conn: Conn, *, full_name: str) -> None:
    """Rename the signed-in person."""
    await conn.execute(
        "update public.people set full_name = %(name)s, updated_at = now() "
        "where auth_user_id = (select auth.uid())",
        {"name": full_name},
    )


MEMBERS = """
    select p.id as person_id, p.auth_user_id as user_id, p.full_name, p.email, e.title,
           e.access_role as role, e.is_current, e.started_on, e.ended_on
    from public.employment e join public.people p on p.id = e.person_id
    where e.org_id = %(org_id)s and e.access_role is not null
"""


async def list_members(conn: Conn, *, org_id: uuid.UUID) -> list[MemberRow]:
    """Everyone with a sign-in role at the organisation, current first."""
    cur = conn.cursor(row_factory=class_row(MemberRow))
    await cur.execute(
        MEMBERS + " order by e.is_current desc,"
        " array_position(array['admin', 'member', 'viewer'], e.access_role), p.full_name",
        {"org_id": org_id},
    )
    return await cur.fetchall()


async def get_member(conn: Conn, *, org_id: uuid.UUID, person_id: uuid.UUID) -> MemberRow | None:
    """One member of the organisation, or None (also when RLS hides them)."""
    cur = conn.cursor(row_factory=class_row(MemberRow))
    await cur.execute(
        MEMBERS + " and e.person_id = %(person_id)s", {"org_id": org_id, "person_id": person_id}
    )
    return await cur.fetchone()


async def update_member_role(
    conn: Conn, *, org_id: uuid.UUID, person_id: uuid.UUID, role: str
) -> int:
    """Change a current member's role; rows changed (0 when not allowed or not found)."""
    cur = await conn.execute(
        "update public.employment set access_role = %(role)s "
        "where org_id = %(org_id)s and person_id = %(person_id)s and is_current",
        {"org_id": org_id, "person_id": person_id, "role": role},
    )
    return cur.rowcount


async def restore_membership(
    conn: Conn, *, org_id: uuid.UUID, person_id: uuid.UUID, role: str
) -> int:
    """Give a deactivated member access again, with a role."""
    cur = await conn.execute(
        "update public.employment set is_current = true, ended_on = null, access_role = %(role)s "
        "where org_id = %(org_id)s and person_id = %(person_id)s and not is_current",
        {"org_id": org_id, "person_id": person_id, "role": role},
    )
    return cur.rowcount


async def end_membership(
    conn: Conn, *, org_id: uuid.UUID, person_id: uuid.UUID, today: date
) -> int:
    """Deactivate a member (the row stays, for history)."""
    cur = await conn.execute(
        "update public.employment set is_current = false, ended_on = %(today)s "
        "where org_id = %(org_id)s and person_id = %(person_id)s and is_current",
        {"org_id": org_id, "person_id": person_id, "today": today},
    )
    return cur.rowcount


async def insert_audit(
    conn: Conn,
    *,
    action: str,
    org_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: object = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append an audit entry by the signed-in user."""
    await conn.execute(
        "insert into public.audit_log (org_id, actor_user_id, action, entity_type, entity_id, "
        "details, ip) "
        "values (%(org_id)s, auth.uid(), %(action)s, %(entity_type)s, %(entity_id)s, "
        "%(details)s, %(ip)s)",
        {
            "org_id": org_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "details": Jsonb(details or {}),
            "ip": ip,
        },
    )
