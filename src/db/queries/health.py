"""Queries the health checks run."""

from __future__ import annotations

from psycopg import AsyncConnection


async def ping(conn: AsyncConnection[object]) -> None:
    """Run the cheapest round trip the database can answer."""
    await conn.execute("select 1")
