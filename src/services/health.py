"""Health checks of the things the app depends on."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel

from src.db.queries import health as queries
from src.monitoring.providers import ProviderRegistry

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


class HealthReport(BaseModel):
    """Overall status and the result of each check."""

    status: Literal["healthy", "degraded"]
    timestamp: datetime
    checks: dict[str, str]

    @property
    def database_ok(self) -> bool:
        """Tell whether the database answered (decides 200 or 503)."""
        return self.checks["database"] == "ok"


async def build_report(
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]], providers: ProviderRegistry
) -> HealthReport:
    """Check the database and read the LLM provider's last known status."""
    checks = {
        "database": await check_database(pool),
        "openrouter": providers.get("openrouter").check,
    }
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    return HealthReport(
        status="healthy" if healthy else "degraded", timestamp=datetime.now(UTC), checks=checks
    )
