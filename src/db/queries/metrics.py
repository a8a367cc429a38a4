"""Counters and the figures /health/detailed reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, dict_row

Conn = AsyncConnection[TupleRow]


async def add_counts(conn: Conn, rows: Sequence[tuple[datetime, str, int]]) -> None:
    """Add to each (minute, name) counter."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "insert into public.metric_counters (minute, name, value) values (%s, %s, %s)"
            " on conflict (minute, name) do update"
            " set value = metric_counters.value + excluded.value",
            list(rows),
        )


async def counter_totals(conn: Conn, names: Sequence[str], *, hours: int) -> dict[str, int]:
    """Each counter's total over the last `hours`."""
    cur = await conn.execute(
        "select name, sum(value)::bigint from public.metric_counters"
        " where name = any(%(n)s) and minute > now() - make_interval(hours => %(h)s)"
        " group by name",
        {"n": list(names), "h": hours},
    )
    totals = dict.fromkeys(names, 0)
    totals.update({r[0]: int(r[1]) for r in await cur.fetchall()})
    return totals


async def migration_level(conn: Conn) -> list[str]:
    """Applied migration versions, oldest first."""
    cur = await conn.execute(
        "select version from supabase_migrations.schema_migrations order by version"
    )
    return [str(r[0]) for r in await cur.fetchall()]


async def last_runs(conn: Conn) -> dict[str, dict[str, Any]]:
    """The latest run of each batch job."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """select distinct on (job) job, id, status, phase, started_at, finished_at, summary
           from public.batch_runs order by job, started_at desc"""
    )
    return {r["job"]: r for r in await cur.fetchall()}


async def escalation_backlog(conn: Conn) -> int:
    """Escalations waiting for a reviewer."""
    cur = await conn.execute(
        "select count(*) from public.agent_escalations"
        " where status in ('pending', 'assigned', 'in_review')"
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def llm_spent_today(conn: Conn) -> float:
    """USD spent on LLM calls since midnight UTC."""
    cur = await conn.execute(
        "select coalesce(sum(cost_usd), 0)::float8 from public.llm_calls"
        " where created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'"
    )
    row = await cur.fetchone()
    return float(row[0]) if row else 0.0


async def last_llm_call(conn: Conn) -> dict[str, Any] | None:
    """The latest call to the LLM provider (offline analyses are not calls)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        "select status, error, created_at from public.llm_calls where status <> 'offline'"
        " order by created_at desc limit 1"
    )
    return await cur.fetchone()
