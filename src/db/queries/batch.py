"""Batch runs and their work queue (service path).

A run is one row of `batch_runs`; its work is rows of `batch_items`, claimed with
`for update skip locked` so any number of workers share it. A claim is a lease: the worker
extends it while it works, and an item whose lease lapsed (its worker died) is claimed again,
up to `max_attempts` times.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class Run(BaseModel):
    """One run of a job."""

    id: uuid.UUID
    job: str
    status: str
    phase: str
    params: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime
    deadline_at: datetime | None
    since: datetime | None
    counts: dict[str, Any]
    llm_tokens: int
    llm_cost_usd: float
    errors: list[Any]
    summary: str | None


class Item(BaseModel):
    """One claimed unit of work."""

    id: int
    run_id: uuid.UUID
    phase: str
    fund_id: uuid.UUID
    lp_org_id: uuid.UUID | None
    lp_ids: list[uuid.UUID] | None
    priority: int
    attempts: int
    result: dict[str, Any]


RUN_COLUMNS: Final = """id, job, status, phase, params, started_at, finished_at, heartbeat_at,
  deadline_at, since, counts, llm_tokens, llm_cost_usd::float8 as llm_cost_usd, errors, summary"""


async def lock_job(conn: Conn, job: str) -> None:
    """Serialise starting and finishing runs of one job (until the transaction ends)."""
    await conn.execute("select pg_advisory_xact_lock(hashtext('lpxgp.batch.' || %s))", (job,))


async def running(conn: Conn, job: str) -> Run | None:
    """The job's running run, locked for update."""
    cur = conn.cursor(row_factory=class_row(Run))
    await cur.execute(
        f"select {RUN_COLUMNS} from public.batch_runs"  # noqa: S608 - constant
        " where job = %(job)s and status = 'running' for update",
        {"job": job},
    )
    return await cur.fetchone()


async def get_run(conn: Conn, run_id: uuid.UUID, *, lock: bool = False) -> Run | None:
    """One run (locked for update when asked)."""
    cur = conn.cursor(row_factory=class_row(Run))
    await cur.execute(
        f"select {RUN_COLUMNS} from public.batch_runs where id = %(id)s"  # noqa: S608
        + (" for update" if lock else ""),
        {"id": run_id},
    )
    return await cur.fetchone()


async def insert_run(
    conn: Conn,
    *,
    job: str,
    params: dict[str, Any],
    deadline_at: datetime | None,
    since: datetime | None,
    phase: str,
) -> uuid.UUID:
    """A new running run."""
    cur = await conn.execute(
        "insert into public.batch_runs (job, phase, params, deadline_at, since)"
        " values (%(job)s, %(phase)s, %(params)s, %(deadline)s, %(since)s) returning id",
        {"job": job, "phase": phase, "params": Jsonb(params), "deadline": deadline_at,
         "since": since},
    )  # fmt: skip
    row = await cur.fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def set_phase(conn: Conn, run_id: uuid.UUID, phase: str) -> None:
    """Move a run to its next phase."""
    await conn.execute(
        "update public.batch_runs set phase = %(p)s, heartbeat_at = now() where id = %(id)s",
        {"p": phase, "id": run_id},
    )


async def heartbeat(conn: Conn, run_id: uuid.UUID, worker: str, lease_seconds: float) -> int:
    """Mark the run alive and extend this worker's leases; how many leases it holds."""
    await conn.execute(
        "update public.batch_runs set heartbeat_at = now() where id = %(id)s", {"id": run_id}
    )
    cur = await conn.execute(
        "update public.batch_items set lease_until = now() + make_interval(secs => %(lease)s)"
        " where run_id = %(id)s and claimed_by = %(w)s and status = 'claimed'",
        {"id": run_id, "w": worker, "lease": lease_seconds},
    )
    return cur.rowcount


async def add_items(conn: Conn, run_id: uuid.UUID, items: Sequence[dict[str, Any]]) -> int:
    """Queue work (an item already queued for this run is not added twice)."""
    if not items:
        return 0
    async with conn.cursor() as cur:
        await cur.executemany(
            "insert into public.batch_items (run_id, phase, fund_id, lp_org_id, lp_ids, priority)"
            " values (%(run)s, %(phase)s, %(fund_id)s, %(lp_org_id)s, %(lp_ids)s, %(priority)s)"
            " on conflict on constraint batch_items_unique do nothing",
            [{"run": run_id, "lp_org_id": None, "lp_ids": None, **item} for item in items],
        )
        return max(cur.rowcount, 0)


async def open_items(conn: Conn, run_id: uuid.UUID, phase: str) -> int:
    """Items of a phase not finished yet (pending, or claimed by a worker)."""
    cur = await conn.execute(
        "select count(*) from public.batch_items where run_id = %(id)s and phase = %(p)s"
        " and status in ('pending', 'claimed')",
        {"id": run_id, "p": phase},
    )
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def give_up_on_lapsed(conn: Conn, run_id: uuid.UUID, max_attempts: int) -> int:
    """Items whose worker died `max_attempts` times are failed, not claimed again."""
    cur = await conn.execute(
        "update public.batch_items set status = 'failed', lease_until = null,"
        " finished_at = now(), error = coalesce(error, 'its worker stopped ' || attempts"
        " || ' times without finishing it')"
        " where run_id = %(id)s and status = 'claimed' and lease_until < now()"
        " and attempts >= %(max)s",
        {"id": run_id, "max": max_attempts},
    )
    return cur.rowcount


async def claim(
    conn: Conn, run_id: uuid.UUID, phase: str, *, worker: str, limit: int, lease_seconds: float
) -> list[Item]:
    """Claim up to `limit` items: pending ones, or ones whose worker's lease lapsed."""
    cur = conn.cursor(row_factory=class_row(Item))
    await cur.execute(
        """with next as (
             select id from public.batch_items
             where run_id = %(run)s and phase = %(phase)s
               and (status = 'pending' or (status = 'claimed' and lease_until < now()))
             order by priority, id
             limit %(limit)s
             for update skip locked)
           update public.batch_items i
           set status = 'claimed', claimed_by = %(worker)s, attempts = i.attempts + 1,
               lease_until = now() + make_interval(secs => %(lease)s)
           from next where i.id = next.id
           returning i.id, i.run_id, i.phase, i.fund_id, i.lp_org_id, i.lp_ids, i.priority,
             i.attempts, i.result""",
        {"run": run_id, "phase": phase, "worker": worker, "limit": limit,
         "lease": lease_seconds},
    )  # fmt: skip
    items = await cur.fetchall()
    return sorted(items, key=lambda i: (i.priority, i.id))


async def still_mine(conn: Conn, item_id: int, worker: str) -> bool:
    """Lock the item if this worker still holds its claim (false: another worker took it)."""
    cur = await conn.execute(
        "select 1 from public.batch_items where id = %(id)s and claimed_by = %(w)s"
        " and status = 'claimed' for update",
        {"id": item_id, "w": worker},
    )
    return await cur.fetchone() is not None


async def claimed_result(conn: Conn, item_id: int, worker: str) -> dict[str, Any] | None:
    """Lock the item if this worker still holds it; its stored result (None: not ours)."""
    cur = await conn.execute(
        "select result from public.batch_items where id = %(id)s and claimed_by = %(w)s"
        " and status = 'claimed' for update",
        {"id": item_id, "w": worker},
    )
    row = await cur.fetchone()
    return dict(row[0]) if row else None


async def finish_item(
    conn: Conn, item_id: int, *, status: str, result: dict[str, Any], error: str | None = None
) -> None:
    """Record an item's outcome (done, skipped or failed)."""
    await conn.execute(
        "update public.batch_items set status = %(s)s, result = result || %(r)s, error = %(e)s,"
        " lease_until = null, finished_at = now() where id = %(id)s",
        {"s": status, "r": Jsonb(result), "e": error, "id": item_id},
    )


async def save_progress(conn: Conn, item_id: int, result: dict[str, Any]) -> None:
    """Keep part of an item's result (e.g. the debate row it started) for a retry."""
    await conn.execute(
        "update public.batch_items set result = result || %(r)s where id = %(id)s",
        {"r": Jsonb(result), "id": item_id},
    )


async def release(conn: Conn, item_id: int, worker: str, *, error: str, max_attempts: int) -> str:
    """An item that raised: back to the queue, or failed after `max_attempts`."""
    cur = await conn.execute(
        "update public.batch_items set status = case when attempts >= %(max)s then 'failed'"
        " else 'pending' end, lease_until = null, error = %(e)s,"
        " finished_at = case when attempts >= %(max)s then now() end"
        " where id = %(id)s and claimed_by = %(w)s and status = 'claimed' returning status",
        {"max": max_attempts, "e": error[:2000], "id": item_id, "w": worker},
    )
    row = await cur.fetchone()
    return str(row[0]) if row else "lost"


async def defer_pending(conn: Conn, run_id: uuid.UUID, reason: str) -> int:
    """Leave the run's unstarted items for the next run."""
    cur = await conn.execute(
        "update public.batch_items set status = 'deferred', error = %(e)s, finished_at = now()"
        " where run_id = %(id)s and status = 'pending'",
        {"id": run_id, "e": reason},
    )
    return cur.rowcount


async def skip_pending(conn: Conn, run_id: uuid.UUID, phase: str, reason: str) -> int:
    """Skip a phase's unstarted items (the LLM budget ran out)."""
    cur = await conn.execute(
        "update public.batch_items set status = 'skipped', error = %(e)s, finished_at = now()"
        " where run_id = %(id)s and phase = %(p)s and status = 'pending'",
        {"id": run_id, "p": phase, "e": reason},
    )
    return cur.rowcount


async def item_counts(conn: Conn, run_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """Items per phase and status."""
    cur = await conn.execute(
        "select phase, status, count(*) from public.batch_items where run_id = %(id)s"
        " group by phase, status",
        {"id": run_id},
    )
    counts: dict[str, dict[str, int]] = {}
    for phase, status, n in await cur.fetchall():
        counts.setdefault(phase, {})[status] = int(n)
    return counts


async def result_totals(conn: Conn, run_id: uuid.UUID) -> dict[str, int]:
    """Sums of the numbers items reported (rows written, offline analyses, ...)."""
    cur = await conn.execute(
        """select key, sum(value::numeric)::bigint from public.batch_items,
             jsonb_each_text(result) as r(key, value)
           where run_id = %(id)s and jsonb_typeof(result -> key) = 'number'
           group by key""",
        {"id": run_id},
    )
    return {str(k): int(v) for k, v in await cur.fetchall()}


async def failures(conn: Conn, run_id: uuid.UUID, limit: int = 20) -> list[dict[str, Any]]:
    """The failed items' errors (first `limit`)."""
    cur = await conn.execute(
        "select id, phase, fund_id, lp_org_id, error from public.batch_items"
        " where run_id = %(id)s and status = 'failed' order by id limit %(n)s",
        {"id": run_id, "n": limit},
    )
    return [
        {"item": r[0], "phase": r[1], "fund_id": str(r[2]),
         "lp_org_id": str(r[3]) if r[3] else None, "error": r[4]}
        for r in await cur.fetchall()
    ]  # fmt: skip


async def llm_totals(conn: Conn, run_id: uuid.UUID) -> tuple[int, float]:
    """Tokens and USD the run's LLM calls used."""
    cur = await conn.execute(
        "select coalesce(sum(input_tokens + output_tokens), 0),"
        " coalesce(sum(cost_usd), 0)::float8 from public.llm_calls where batch_run_id = %(id)s",
        {"id": run_id},
    )
    row = await cur.fetchone()
    return (int(row[0]), float(row[1])) if row else (0, 0.0)


async def finish_run(
    conn: Conn,
    run_id: uuid.UUID,
    *,
    status: str,
    counts: dict[str, Any],
    errors: list[dict[str, Any]],
    tokens: int,
    cost: float,
    summary: str,
) -> bool:
    """Close a running run (false when another worker already closed it)."""
    cur = await conn.execute(
        """update public.batch_runs set status = %(s)s, phase = 'done', finished_at = now(),
             counts = %(c)s, errors = %(e)s, llm_tokens = %(t)s, llm_cost_usd = %(cost)s,
             summary = %(sum)s, heartbeat_at = now()
           where id = %(id)s and status = 'running'""",
        {"s": status, "c": Jsonb(counts), "e": Jsonb(errors), "t": tokens, "cost": cost,
         "sum": summary, "id": run_id},
    )  # fmt: skip
    return cur.rowcount == 1


async def last_success(conn: Conn, jobs: Sequence[str]) -> datetime | None:
    """When the latest successful run of these jobs started."""
    cur = await conn.execute(
        "select max(started_at) from public.batch_runs where job = any(%(jobs)s)"
        " and status = 'succeeded'",
        {"jobs": list(jobs)},
    )
    row = await cur.fetchone()
    return row[0] if row else None


async def list_runs(conn: Conn, *, limit: int = 50) -> list[Run]:
    """The latest runs, newest first."""
    cur = conn.cursor(row_factory=class_row(Run))
    await cur.execute(
        f"select {RUN_COLUMNS} from public.batch_runs"  # noqa: S608 - constant
        " order by started_at desc limit %(n)s",
        {"n": limit},
    )
    return await cur.fetchall()
