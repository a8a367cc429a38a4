"""Request metrics and platform metrics.

Request metrics: each web process counts requests, server errors and latency per route and
minute in memory, with latencies in a fixed histogram, and adds them to `request_metrics`
every few seconds; several processes add up, and p50 / p95 are read from the merged histogram
(the upper edge of the bucket where the share is reached, linearly interpolated inside it).

Platform metrics (`get_platform_metrics`): the seed's figures over the last N days, from our
own tables.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import psycopg
from markupsafe import Markup
from psycopg_pool import PoolTimeout
from pydantic import BaseModel

from src.db.queries import metrics as queries
from src.db.tenancy import Pool, service_transaction
from src.monitoring.charts import bar_chart
from src.monitoring.counters import flush_every

logger = logging.getLogger(__name__)
# Upper edges (ms) of the latency buckets; the last bucket holds everything slower.
EDGES_MS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10_000, 30_000)
FLUSH_SECONDS: Final = 10.0


@dataclass
class Tally:
    """One route's requests in one minute."""

    requests: int = 0
    errors: int = 0
    latency_ms_total: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(EDGES_MS) + 1))

    def add(self, status: int, latency_ms: float) -> None:
        """Count one request."""
        self.requests += 1
        self.errors += status >= 500
        self.latency_ms_total += latency_ms
        self.buckets[bisect.bisect_left(EDGES_MS, latency_ms)] += 1


class RequestMetrics:
    """This process's request counts, flushed to the database."""

    def __init__(self) -> None:
        self.pending: dict[tuple[datetime, str], Tally] = {}

    def record(
        self, route: str, status: int, latency_ms: float, *, at: datetime | None = None
    ) -> None:
        """Count one request to `route` (a route template, e.g. /funds/{fund_id})."""
        minute = (at or datetime.now(UTC)).replace(second=0, microsecond=0)
        self.pending.setdefault((minute, route[:200]), Tally()).add(status, latency_ms)

    async def flush(self, pool: Pool) -> int:
        """Add the pending tallies to the database; keep them for the next flush on failure."""
        batch, self.pending = self.pending, {}
        if not batch:
            return 0
        try:
            async with service_transaction(pool) as conn:
                await queries.add_request_metrics(conn, [
                    (minute, route, t.requests, t.errors, t.latency_ms_total, t.buckets)
                    for (minute, route), t in batch.items()
                ])  # fmt: skip
        except (psycopg.Error, PoolTimeout) as exc:
            logger.warning("request_metrics_flush_failed", extra={"error": type(exc).__name__})
            for key, tally in batch.items():
                merged = self.pending.setdefault(key, Tally())
                merged.requests += tally.requests
                merged.errors += tally.errors
                merged.latency_ms_total += tally.latency_ms_total
                merged.buckets = [a + b for a, b in zip(merged.buckets, tally.buckets, strict=True)]
            return 0
        return len(batch)

    async def run(self, pool: Pool, every: float = FLUSH_SECONDS) -> None:
        """Flush every `every` seconds until cancelled (then once more)."""
        await flush_every(self.flush, pool, every)


def percentile(buckets: Sequence[int], q: float) -> float | None:
    """The latency (ms) below which a share `q` of requests fell, from a histogram."""
    total = sum(buckets)
    if not total:
        return None
    target = q * total
    seen = 0
    for index, count in enumerate(buckets):
        if count and seen + count >= target:
            low = 0.0 if index == 0 else float(EDGES_MS[index - 1])
            high = float(EDGES_MS[index]) if index < len(EDGES_MS) else float(EDGES_MS[-1]) * 2
            return round(low + (high - low) * (target - seen) / count, 1)
        seen += count
    return float(EDGES_MS[-1])


class RouteStats(BaseModel):
    """One route over a window."""

    route: str
    requests: int
    errors: int
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    mean_ms: float | None


async def route_stats(conn: Any, *, minutes: int) -> list[RouteStats]:
    """Requests, error rate and p50 / p95 per route over the last `minutes`, busiest first."""
    rows = await queries.request_totals(conn, minutes=minutes)
    return [_stats(route, requests, errors, total, buckets)
            for route, requests, errors, total, buckets in rows]  # fmt: skip


def _stats(route: str, requests: int, errors: int, total: float, buckets: list[int]) -> RouteStats:
    return RouteStats(
        route=route, requests=requests, errors=errors,
        error_rate=round(errors / requests, 4) if requests else 0.0,
        p50_ms=percentile(buckets, 0.5), p95_ms=percentile(buckets, 0.95),
        mean_ms=round(total / requests, 1) if requests else None,
    )  # fmt: skip


async def overall(conn: Any, *, minutes: int) -> RouteStats:
    """Every route together over the last `minutes`."""
    rows = await queries.request_totals(conn, minutes=minutes)
    buckets = [0] * (len(EDGES_MS) + 1)
    for row in rows:
        buckets = [a + b for a, b in zip(buckets, row[4], strict=True)]
    return _stats("*", sum(r[1] for r in rows), sum(r[2] for r in rows),
                  sum(r[3] for r in rows), buckets)  # fmt: skip


class PlatformMetrics(BaseModel):
    """The seed's platform figures over the last `days`."""

    days: int
    active_users: int
    matches_generated: int
    pitches_generated: int
    debates: int
    agent_cost_usd: float
    avg_latency_ms: float | None
    requests: int
    error_rate: float


async def daily_charts(conn: Any, days: int = 14) -> list[tuple[str, Markup]]:
    """The last `days`: traffic, errors, p95 latency, matches, pitches and LLM cost per day."""
    series = await queries.daily_series(conn, days=days)
    dates = [row["day"] for row in series]
    charts = [
        ("Requests", [row["requests"] for row in series], ""),
        ("Server errors", [row["errors"] for row in series], ""),
        ("p95 latency", [percentile(row["buckets"], 0.95) or 0.0 for row in series], " ms"),
        ("Matches computed", [row["matches"] for row in series], ""),
        ("Pitches drafted", [row["pitches"] for row in series], ""),
        ("LLM cost (USD)", [row["cost"] for row in series], ""),
    ]
    # bar_chart escapes every label itself and emits no script or style.
    return [(title, Markup(bar_chart(f"{title} per day", dates, values, unit=unit)))  # noqa: S704
            for title, values, unit in charts]  # fmt: skip


async def get_platform_metrics(conn: Any, days: int = 7) -> PlatformMetrics:
    """Active users, matches, pitches, debates, agent cost and latency over the last `days`."""
    figures = await queries.platform_figures(conn, days=days)
    traffic = await overall(conn, minutes=days * 24 * 60)
    return PlatformMetrics(days=days, **figures, avg_latency_ms=traffic.mean_ms,
                           requests=traffic.requests, error_rate=traffic.error_rate)  # fmt: skip
