"""Counters a web process adds up in memory and flushes to `metric_counters` every few seconds.

Counting costs a dictionary update; the database sees one upsert per counter per flush, adding
to the minute's row, so any number of processes add up without contending on a row per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import psycopg
from psycopg_pool import PoolTimeout

from src.db.queries import metrics as queries
from src.db.tenancy import Pool, service_transaction

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 10.0


class Counters:
    """In-memory counts per (minute, name), flushed to the database."""

    def __init__(self) -> None:
        self.pending: Counter[tuple[datetime, str]] = Counter()

    def incr(self, name: str, n: int = 1, *, at: datetime | None = None) -> None:
        """Add `n` to a counter in the current minute."""
        minute = (at or datetime.now(UTC)).replace(second=0, microsecond=0)
        self.pending[(minute, name)] += n

    async def flush(self, pool: Pool) -> int:
        """Add the pending counts to the database; on failure keep them for the next flush."""
        batch, self.pending = self.pending, Counter()
        if not batch:
            return 0
        try:
            async with service_transaction(pool) as conn:
                await queries.add_counts(conn, [(m, n, v) for (m, n), v in batch.items()])
        except (psycopg.Error, PoolTimeout) as exc:
            logger.warning("counters_flush_failed", extra={"error": type(exc).__name__})
            self.pending.update(batch)
            return 0
        return len(batch)

    async def run(self, pool: Pool, every: float = FLUSH_SECONDS) -> None:
        """Flush every `every` seconds until cancelled (then once more)."""
        await flush_every(self.flush, pool, every)


async def flush_every(flush: Callable[[Pool], Awaitable[int]], pool: Pool, every: float) -> None:
    """Call `flush` every `every` seconds until cancelled, and once more on the way out."""
    try:
        while True:
            await asyncio.sleep(every)
            await flush(pool)
    finally:
        await flush(pool)
