"""The two ways into the database: as the signed-in user (RLS), or the explicit service path.

Both set transaction-local settings only (`set_config(..., true)`), so nothing survives the
transaction on a pooled connection. The app's login role has no grants: forgetting to call
these fails closed with 42501.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from src.auth.tokens import Principal

Pool = AsyncConnectionPool[AsyncConnection[TupleRow]]
STATEMENT_TIMEOUT = "8s"


async def set_identity(conn: AsyncConnection[TupleRow], principal: Principal | None) -> None:
    """Act as `authenticated` with the token's claims, or as `anon`, until the transaction ends."""
    role = "authenticated" if principal else "anon"
    claims = principal.claims if principal else {"role": "anon"}
    await conn.execute(
        "select set_config('request.jwt.claims', %(claims)s, true), "
        "set_config('role', %(role)s, true), "
        "set_config('statement_timeout', %(timeout)s, true)",
        {"claims": json.dumps(claims), "role": role, "timeout": STATEMENT_TIMEOUT},
    )


@asynccontextmanager
async def user_transaction(
    pool: Pool, principal: Principal | None
) -> AsyncIterator[AsyncConnection[TupleRow]]:
    """One transaction under the caller's row-level security."""
    async with pool.connection() as conn, conn.transaction():
        await set_identity(conn, principal)
        yield conn


@asynccontextmanager
async def service_transaction(
    pool: Pool, *, statement_timeout: str = STATEMENT_TIMEOUT
) -> AsyncIterator[AsyncConnection[TupleRow]]:
    """One transaction on the service path (the local identity provider, batch jobs).

    The batch reads the whole LP base in one statement and passes a longer timeout.
    """
    async with pool.connection() as conn, conn.transaction():
        # The claims say service_role too, as a Supabase service key's do (auth.role()).
        await conn.execute(
            "select set_config('role', 'service_role', true), "
            "set_config('request.jwt.claims', '{\"role\": \"service_role\"}', true), "
            "set_config('statement_timeout', %(timeout)s, true)",
            {"timeout": statement_timeout},
        )
        yield conn
