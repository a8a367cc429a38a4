"""Health checks of the things the app depends on."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel

from src.config import Settings
from src.db.migrate import discover
from src.db.queries import health as queries
from src.db.queries import metrics
from src.db.tenancy import Pool, service_transaction
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


class DetailedHealth(BaseModel):
    """Everything a platform admin needs to see at a glance (GET /health/detailed)."""

    status: Literal["healthy", "degraded"]
    timestamp: datetime
    database: dict[str, Any]
    cache: dict[str, Any]
    agents: dict[str, Any]
    integrations: dict[str, dict[str, Any]]


CACHE_COUNTERS = ("match_cache.hit", "match_cache.miss")


async def _database(pool: Pool) -> dict[str, Any]:
    stats = pool.get_stats()
    out: dict[str, Any] = {
        "pool": {"size": stats.get("pool_size", 0), "available": stats.get("pool_available", 0),
                 "waiting": stats.get("requests_waiting", 0), "max": pool.max_size},
    }  # fmt: skip
    started = time.perf_counter()
    status = await check_database(pool)
    out["status"] = status
    if status != "ok":
        return out
    out["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    async with service_transaction(pool) as conn:
        applied = await metrics.migration_level(conn)
    files = [m.version for m in discover()]
    out["migrations"] = {
        "applied": len(applied),
        "latest": applied[-1] if applied else None,
        "pending": [v for v in files if v not in set(applied)],
    }
    return out


async def detailed(pool: Pool, settings: Settings, providers: ProviderRegistry) -> DetailedHealth:
    """Database, match cache, agents and integrations, for platform admins."""
    database = await _database(pool)
    cache: dict[str, Any] = {}
    agents: dict[str, Any] = {}
    last_call = None
    if database["status"] == "ok":
        async with service_transaction(pool) as conn:
            totals = await metrics.counter_totals(conn, CACHE_COUNTERS, hours=24)
            runs = await metrics.last_runs(conn)
            backlog = await metrics.escalation_backlog(conn)
            spent = await metrics.llm_spent_today(conn)
            last_call = await metrics.last_llm_call(conn)
        hits, misses = totals["match_cache.hit"], totals["match_cache.miss"]
        rate = round(hits / (hits + misses), 3) if hits + misses else None
        cache = {"window_hours": 24, "match_hits": hits, "match_misses": misses,
                 "match_hit_rate": rate}  # fmt: skip
        agents = {
            "batch": {
                job: {
                    "status": r["status"],
                    "phase": r["phase"],
                    "started_at": r["started_at"],
                    "finished_at": r["finished_at"],
                    "summary": r["summary"],
                }
                for job, r in runs.items()
            },  # fmt: skip
            "escalation_backlog": backlog,
            "llm_cost_today_usd": round(spent, 4),
            "llm_daily_budget_usd": settings.llm_daily_budget_usd,
        }
    integrations = _integrations(settings, providers, last_call)
    failing = database["status"] != "ok" or any(
        i["status"] == "failing" for i in integrations.values()
    )
    return DetailedHealth(
        status="degraded" if failing else "healthy", timestamp=datetime.now(UTC),
        database=database, cache=cache, agents=agents, integrations=integrations,
    )  # fmt: skip


def _integrations(
    settings: Settings, providers: ProviderRegistry, last_call: dict[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """Each provider: configured or not, and what we last saw of it."""
    out: dict[str, dict[str, Any]] = {}
    openrouter: dict[str, Any] = {"configured": settings.llm_configured}
    if not settings.llm_configured:
        openrouter["status"] = "not configured"
    elif last_call is None:
        openrouter["status"] = "no calls yet"
    else:
        failed = last_call["status"] == "error"
        openrouter |= {"status": "failing" if failed else "ok",
                       "last_call_at": last_call["created_at"],
                       "last_error": last_call["error"] if failed else None}  # fmt: skip
    out["openrouter"] = openrouter
    for name, known in providers.providers.items():
        if name == "openrouter":
            continue
        out[name] = {"configured": known.configured, "status": known.state}
        if known.configured:
            out[name] |= {"last_ok_at": known.last_ok_at, "last_error": known.last_error,
                          "last_error_at": known.last_error_at}  # fmt: skip
    return out
