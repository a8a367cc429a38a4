"""Invitations: managed by org admins under RLS; seen and accepted by invitees through functions."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class InvitationRow(BaseModel):
    """An invitation as its organisation's admins see it."""

    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    access_role: str
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class InvitationPreview(BaseModel):
    """What the holder of an invitation link may see."""

    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    email: str
    access_role: str
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


async def insert_invitation(
    conn: Conn, *, org_id: uuid.UUID, email: str, role: str, token_hash: str, expires_at: datetime
) -> InvitationRow:
    """Create an invitation by the signed-in admin."""
    cur = conn.cursor(row_factory=class_row(InvitationRow))
    await cur.execute(
        "insert into public.invitations (org_id, email, access_role, token_hash, expires_at, "
        "invited_by) "
        "values (%(org_id)s, lower(%(email)s), %(role)s, %(hash)s, %(expires)s, "
        "public.current_person_id()) "
        "returning id, org_id, email, access_role, expires_at, accepted_at, revoked_at, created_at",
        {"org_id": org_id, "email": email, "role": role, "hash": token_hash, "expires": expires_at},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def get_open_invitation_for_email(conn: Conn, *, email: str) -> InvitationRow | None:
    """The not yet accepted or revoked invitation for an address (RLS: the caller's orgs)."""
    cur = conn.cursor(row_factory=class_row(InvitationRow))
    await cur.execute(
        "select id, org_id, email, access_role, expires_at, accepted_at, revoked_at, created_at "
        "from public.invitations "
        "where lower(email) = lower(%(email)s) and accepted_at is null and revoked_at is null",
        {"email": email},
    )
    return await cur.fetchone()


async def list_open_invitations(conn: Conn, *, org_id: uuid.UUID) -> list[InvitationRow]:
    """Invitations of the organisation still waiting for an answer, newest first."""
    cur = conn.cursor(row_factory=class_row(InvitationRow))
    await cur.execute(
        "select id, org_id, email, access_role, expires_at, accepted_at, revoked_at, created_at "
        "from public.invitations where org_id = %(org_id)s "
        "and accepted_at is null and revoked_at is null order by created_at desc",
        {"org_id": org_id},
    )
    return await cur.fetchall()


async def get_invitation(
    conn: Conn, *, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> InvitationRow | None:
    """One invitation of the organisation."""
    cur = conn.cursor(row_factory=class_row(InvitationRow))
    await cur.execute(
        "select id, org_id, email, access_role, expires_at, accepted_at, revoked_at, created_at "
        "from public.invitations where id = %(id)s and org_id = %(org_id)s",
        {"id": invitation_id, "org_id": org_id},
    )
    return await cur.fetchone()


async def renew_invitation(
    conn: Conn, *, invitation_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> int:
    """A new token and expiry for an open invitation (the old link stops working)."""
    cur = await conn.execute(
        "update public.invitations set token_hash = %(hash)s, expires_at = %(expires)s "
        "where id = %(id)s and accepted_at is null and revoked_at is null",
        {"id": invitation_id, "hash": token_hash, "expires": expires_at},
    )
    return cur.rowcount


async def revoke_invitation(conn: Conn, *, invitation_id: uuid.UUID, now: datetime) -> int:
    """Withdraw an open invitation."""
    cur = await conn.execute(
        "update public.invitations set revoked_at = %(now)s "
        "where id = %(id)s and accepted_at is null and revoked_at is null",
        {"id": invitation_id, "now": now},
    )
    return cur.rowcount


async def expire_stale_invitations(conn: Conn, *, email: str) -> None:
    """Withdraw expired open invitations for an address, in any organisation."""
    await conn.execute("select public.expire_stale_invitations(%(email)s)", {"email": email})


async def email_has_account(conn: Conn, *, email: str) -> bool:
    """Whether someone can already sign in with this address."""
    cur = await conn.execute("select public.email_has_account(%(email)s)", {"email": email})
    row = await cur.fetchone()
    return bool(row and row[0])


async def get_invitation_by_token(conn: Conn, *, token_hash: str) -> InvitationPreview | None:
    """The invitation behind a link (callable anonymously)."""
    cur = conn.cursor(row_factory=class_row(InvitationPreview))
    await cur.execute("select * from public.invitation_by_token(%(hash)s)", {"hash": token_hash})
    return await cur.fetchone()


async def accept_invitation(
    conn: Conn, *, token_hash: str, user_id: uuid.UUID, full_name: str
) -> uuid.UUID:
    """Make the new account a member; raises with a stable message when the link is not valid."""
    cur = await conn.execute(
        "select public.accept_invitation(%(hash)s, %(user)s, %(name)s)",
        {"hash": token_hash, "user": user_id, "name": full_name},
    )
    row = await cur.fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def queue_invitation_email(
    conn: Conn, *, invitation_id: uuid.UUID, subject: str, body: str
) -> None:
    """Put the invitation email in the outbox."""
    await conn.execute(
        "select public.queue_invitation_email(%(id)s, %(subject)s, %(body)s)",
        {"id": invitation_id, "subject": subject, "body": body},
    )
