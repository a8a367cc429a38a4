"""Health checks of the things the app depends on."""

from __future__ import annotations

import asyncio
import logging

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from src.db.queries import health as queries

logger = logging.getLogger(__name__)
DATABASE_CHECK_SECONDS = 2.0


async def check_database(pool: AsyncConnectionPool[AsyncConnection[TupleRow]]) -> str:
    """Return "ok", or "error: <short reason>" when the database does not answer in time."""
    try:
        async with asyncio.timeout(DATABASE_CHECK_SECONDS + 1):
            async with pool.connection(timeout=DATABASE_CHECK_SECONDS) as conn:
                await queries.ping(conn)
    except (PoolTimeout, TimeoutError):
        reason = f"no connection within {DATABASE_CHECK_SECONDS:g}s"
    except psycopg.Error as exc:
        reason = type(exc).__name__
    else:
        return "ok"
    # The detail stays in our logs; the public answer only says what kind of failure it was.
    logger.warning("database_check_failed", extra={"reason": reason})
    return f"error: {reason}"
