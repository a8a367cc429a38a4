"""The database side of signing in: lockout counters and session revocation."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

Conn = AsyncConnection[TupleRow]


async def reserve_sign_in(
    conn: Conn, *, email: str, ip: str | None, now: datetime
) -> datetime | None:
    """Count an attempt before the password is checked; the lock's end if it is refused."""
    cur = await conn.execute(
        "select public.reserve_sign_in(%(email)s, %(ip)s, %(now)s)",
        {"email": email, "ip": ip, "now": now},
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def record_sign_in(
    conn: Conn,
    *,
    email: str,
    user_id: uuid.UUID | None,
    success: bool,
    ip: str | None,
    now: datetime,
) -> None:
    """The attempt's outcome: success clears the counter; both are audited."""
    await conn.execute(
        "select public.record_sign_in(%(email)s, %(user_id)s, %(success)s, %(ip)s, %(now)s)",
        {"email": email, "user_id": user_id, "success": success, "ip": ip, "now": now},
    )


async def revoke_own_session(conn: Conn, *, session_id: uuid.UUID | None) -> None:
    """Deny-list the caller's session (its access token may still be unexpired)."""
    await conn.execute("select public.revoke_own_session(%(s)s)", {"s": session_id})


async def revoke_user_sessions(
    conn: Conn, *, user_id: uuid.UUID, reason: str, keep_session_id: uuid.UUID | None = None
) -> bool:
    """End every session of a user the caller may manage (or their own), but `keep_session_id`."""
    cur = await conn.execute(
        "select public.revoke_user_sessions(%(u)s, %(r)s, %(keep)s)",
        {"u": user_id, "r": reason, "keep": keep_session_id},
    )
    row = await cur.fetchone()
    return bool(row and row[0])
