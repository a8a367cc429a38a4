"""The signed-in user, their profile, and the team an org admin manages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from psycopg import errors
from pydantic import Field

from src.auth.tokens import Principal
from src.db.queries import auth as auth_queries
from src.db.queries import users as queries
from src.db.queries.users import Conn, MemberRow, UserRow
from src.errors import Conflict, Forbidden, InvalidInput, NotFound

ROLES = ("viewer", "member", "admin")


class User(UserRow):
    """Who is making the request and what they may do."""

    user_id: uuid.UUID
    session_id: uuid.UUID | None = Field(default=None, exclude=True)
    session_active: bool = Field(default=True, exclude=True)

    @property
    def can_write(self) -> bool:
        """Members and admins write their organisation's data; viewers only read."""
        return self.role in ("member", "admin")

    @property
    def is_org_admin(self) -> bool:
        """Admins also manage the organisation's users."""
        return self.role == "admin"

    @property
    def initials(self) -> str:
        """Up to two letters for the avatar."""
        parts = [p for p in self.full_name.split() if p[:1].isalpha()]
        return (
            "".join(p[0] for p in (parts[:1] + parts[-1:] if len(parts) > 1 else parts)).upper()
            or "?"
        )


async def load_user(conn: Conn, principal: Principal) -> User | None:
    """The user behind a verified token; None when unknown here or the session was revoked."""
    row = await queries.get_current_user(
        conn, session_id=principal.session_id, authenticated_at=principal.authenticated_at
    )
    if row is None or not row.session_active:
        return None
    return User(user_id=principal.user_id, session_id=principal.session_id, **row.model_dump())


def clean_name(full_name: str) -> str:
    """A person's name as we store it, or InvalidInput naming the field."""
    name = " ".join(full_name.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInput(
            "Please enter your name.",
            details=[{"field": "full_name", "message": "Enter a name of up to 200 characters."}],
        )
    return name


async def rename(conn: Conn, user: User, *, full_name: str) -> str:
    """Change the signed-in user's display name."""
    name = clean_name(full_name)
    await queries.update_own_name(conn, full_name=name)
    return name


def require_org_admin(user: User) -> uuid.UUID:
    """The organisation the user administers, or Forbidden."""
    if not user.is_org_admin or user.org_id is None:
        raise Forbidden("Only an organisation admin can manage its team.")
    return user.org_id


def managed_org(user: User, org_id: uuid.UUID | None) -> uuid.UUID:
    """The organisation whose team is changed: the admin's own, or any for a platform admin."""
    if org_id is None:
        return require_org_admin(user)
    if not user.is_platform_admin:
        raise Forbidden("Only platform admins can manage another organisation's team.")
    return org_id


async def list_team(conn: Conn, user: User) -> list[MemberRow]:
    """The members of the user's organisation."""
    if user.org_id is None:
        return []
    return await queries.list_members(conn, org_id=user.org_id)


async def _member(conn: Conn, org_id: uuid.UUID, person_id: uuid.UUID) -> MemberRow:
    member = await queries.get_member(conn, org_id=org_id, person_id=person_id)
    if member is None:
        raise NotFound("member", person_id)
    return member


@asynccontextmanager
async def _keeping_an_admin(conn: Conn) -> AsyncIterator[None]:
    """Run a membership change in a savepoint; the last-admin rule becomes a Conflict."""
    try:
        async with conn.transaction():
            yield
    except errors.CheckViolation as exc:
        raise Conflict("An organisation must keep at least one admin.") from exc


async def change_role(
    conn: Conn,
    user: User,
    *,
    person_id: uuid.UUID,
    role: str,
    ip: str | None,
    org_id: uuid.UUID | None = None,
) -> MemberRow:
    """Give a member another role (reactivating a deactivated one); the last admin keeps theirs.

    `org_id` is for platform admins; an org admin changes their own organisation's team.
    """
    org_id = managed_org(user, org_id)
    if role not in ROLES:
        raise InvalidInput(
            "Unknown role.",
            details=[{"field": "role", "message": f"Choose one of: {', '.join(ROLES)}."}],
        )
    member = await _member(conn, org_id, person_id)
    if not member.is_current:
        return await _reactivate(conn, org_id, member, role, ip)
    if member.role == role:
        return member
    async with _keeping_an_admin(conn):
        await queries.update_member_role(conn, org_id=org_id, person_id=person_id, role=role)
    await queries.insert_audit(
        conn,
        action="member.role_changed",
        org_id=org_id,
        entity_type="person",
        entity_id=person_id,
        details={"from": member.role, "to": role},
        ip=ip,
    )
    return member.model_copy(update={"role": role})


async def _reactivate(
    conn: Conn, org_id: uuid.UUID, member: MemberRow, role: str, ip: str | None
) -> MemberRow:
    await queries.restore_membership(conn, org_id=org_id, person_id=member.person_id, role=role)
    await queries.insert_audit(
        conn,
        action="member.reactivated",
        org_id=org_id,
        entity_type="person",
        entity_id=member.person_id,
        details={"role": role},
        ip=ip,
    )
    return member.model_copy(update={"role": role, "is_current": True, "ended_on": None})


async def deactivate(
    conn: Conn,
    user: User,
    *,
    person_id: uuid.UUID,
    today: date,
    ip: str | None,
    org_id: uuid.UUID | None = None,
) -> MemberRow:
    """End a member's access: membership ended, every session revoked (`org_id` as above)."""
    org_id = managed_org(user, org_id)
    if person_id == user.person_id:
        raise Conflict("You cannot deactivate yourself; ask another admin.")
    member = await _member(conn, org_id, person_id)
    if not member.is_current:
        return member
    async with _keeping_an_admin(conn):
        await queries.end_membership(conn, org_id=org_id, person_id=person_id, today=today)
    if member.user_id is not None:
        await auth_queries.revoke_user_sessions(conn, user_id=member.user_id, reason="deactivated")
    await queries.insert_audit(
        conn,
        action="member.deactivated",
        org_id=org_id,
        entity_type="person",
        entity_id=person_id,
        ip=ip,
    )
    return member.model_copy(update={"is_current": False})
