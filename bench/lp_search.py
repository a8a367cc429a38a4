"""LP search at benchmark scale: filtered keyword, semantic, the LP page, and CSV export.

Usage: python -m bench.lp_search [--lps 100000] [--funds 1000] [--runs 40]

Builds a fresh embedded database with the generated market, gives every LP a vector (random
unit vectors: the search cost does not depend on what they mean; embedding 100k mandates with
the local model would take ~20 minutes and is measured separately per query), then times the
service functions the pages and API call, inside a signed-in user's RLS transaction. Prints
p50/p95 in milliseconds and each figure's ratio to a baseline measured in the same run (a
full count of the LP table).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import psycopg

from src.agents.embeddings import LOCAL_DIMS, LOCAL_MODEL, LocalEmbeddings
from src.auth.tokens import Principal
from src.config import Settings
from src.db.embedded import start_embedded
from src.db.migrate import apply_migrations
from src.db.pool import create_pool
from src.db.queries.lps import Semantic
from src.db.tenancy import Pool, user_transaction
from src.demo.load import load_market
from src.demo.market import generate_market
from src.services import lps
from src.services.lps import LpFilters

FILTERS = [
    {"q": "pension"},
    {"q": "healthcare", "type": ["endowment", "foundation"]},
    {"q": "buyout", "geography": ["nordics"], "esg": True},
    {"strategy": ["venture/early"], "emerging": True},
    {"q": "infrastructure", "aum_min": 10000},
    {"check_min": 10, "check_max": 50, "type": ["public_pension"]},
    {"geography": ["SE"], "sort": "aum"},
    {"q": "direct lending", "looking": True, "sort": "verified"},
    {"q": "calp"},
    {"fund_size_min": 500, "fund_size_max": 2000, "quality_min": 0.7, "sort": "name"},
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def timed(pool: Pool, principal: Principal, run, repeats: int) -> list[float]:
    samples = []
    for i in range(repeats):
        async with user_transaction(pool, principal) as conn:
            started = time.perf_counter()
            await run(conn, i)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


async def ensure_market(admin_url: str, *, lps: int, funds: int) -> None:
    """Migrate, and load the generated market with a random vector per LP once."""
    await apply_migrations(admin_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("select count(*) from lp_profiles").fetchone()[0]:
            market = generate_market(seed=7, lps=lps, funds=funds, as_of=date(2026, 11, 27))
            load_market(conn, market)
            add_vectors(admin_url)


def add_vectors(admin_url: str) -> float:
    started = time.perf_counter()
    rng = np.random.default_rng(7)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        ids = [
            row[0]
            for row in conn.execute("select org_id from lp_profiles where mandate_text is not null")
        ]
        # One bulk HNSW build after the COPY is far faster than inserting into the index.
        index = "select indexdef from pg_indexes where indexname = 'embeddings_minilm_hnsw'"
        definition = conn.execute(index).fetchone()[0]
        conn.execute("drop index embeddings_minilm_hnsw")
        with conn.cursor().copy(
            "copy embeddings (entity_type, entity_id, model, dims, text_hash, embedding) from stdin"
        ) as copy:
            for org_id in ids:
                v = rng.standard_normal(LOCAL_DIMS)
                v /= np.linalg.norm(v)
                copy.write_row(
                    (
                        "lp_mandate",
                        org_id,
                        LOCAL_MODEL,
                        LOCAL_DIMS,
                        "bench",
                        "[" + ",".join(f"{x:.6f}" for x in v) + "]",
                    )
                )
        conn.execute("set maintenance_work_mem = '512MB'")
        conn.execute(definition)
        conn.execute("analyze embeddings")
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lps", type=int, default=100_000)
    parser.add_argument("--funds", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the database here and reuse it on the next run (skips generating the market)",
    )
    parser.add_argument("--per-filter", action="store_true", help="time each keyword filter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir or Path(scratch)
        server = start_embedded(data_dir, database="bench_lps")
        try:
            await apply_migrations(server.admin_url)
            with psycopg.connect(server.admin_url, autocommit=True) as conn:
                loaded = conn.execute("select count(*) from lp_profiles").fetchone()[0]
            vectors_s = 0.0
            if not loaded:
                market = generate_market(
                    seed=7, lps=args.lps, funds=args.funds, as_of=date(2026, 11, 27)
                )
                with psycopg.connect(server.admin_url, autocommit=True) as conn:
                    load_market(conn, market)
                vectors_s = add_vectors(server.admin_url)
            with psycopg.connect(server.admin_url, autocommit=True) as conn:
                total = conn.execute("select count(*) from lp_profiles").fetchone()[0]
                user = conn.execute(
                    "select id from auth.users where email = 'member@northlight.example.com'"
                ).fetchone()[0]
                lp_ids = [
                    r[0]
                    for r in conn.execute(
                        "select org_id from lp_profiles order by random() limit 200"
                    )
                ]
            settings = Settings(_env_file=None, database_url=server.app_url)  # type: ignore[call-arg]
            pool = create_pool(server.app_url, settings)
            await pool.open(wait=True)
            now = datetime.now(UTC)
            claims = {"sub": str(user), "role": "authenticated", "session_id": str(uuid.uuid4())}
            principal = Principal(user, None, None, now, now, now, claims)
            if args.per_filter:
                await per_filter(pool, principal, args.runs)
            await report(pool, principal, lp_ids, args.runs, total, vectors_s)
            await pool.close()
        finally:
            server.stop()


async def per_filter(pool: Pool, principal: Principal, runs: int) -> None:
    """Each keyword-benchmark filter on its own, to find the slow one."""
    for filters in FILTERS:

        async def run(conn, i, filters=filters):
            await lps.search(conn, LpFilters(**filters))

        p50, p95 = percentiles(await timed(pool, principal, run, max(5, runs // 4)))
        print(f"  {str(filters):<80} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")


async def report(
    pool: Pool, principal: Principal, lp_ids: list, runs: int, total: int, vectors_s: float
) -> None:
    async def baseline(conn, i):
        await (await conn.execute("select count(*) from lp_profiles")).fetchone()

    async def keyword(conn, i):
        await lps.search(conn, LpFilters(**FILTERS[i % len(FILTERS)]))

    model = LocalEmbeddings()
    await model.embed_query("warm-up: load the model once, as the running app has")
    embed_ms = []
    for text in (
        "nordic pensions backing first-time healthcare managers",
        "family offices in real estate",
    ):
        started = time.perf_counter()
        vector = await model.embed_query(text)
        embed_ms.append((time.perf_counter() - started) * 1000)
    semantic = Semantic(model=LOCAL_MODEL, dims=LOCAL_DIMS, vector=vector)

    async def by_meaning(conn, i):
        filters = [{}, {"type": ["public_pension"]}, {"geography": ["europe"], "esg": True}][i % 3]
        where = lps.build_where(LpFilters(**filters))
        await lps.queries.count(conn, where, semantic=semantic)
        await lps.queries.search(conn, where, sort="relevance", page=1, semantic=semantic)

    async def lp_page(conn, i):
        await lps.get_lp_page(conn, lp_ids[i % len(lp_ids)])

    async def export(conn, i):
        rows = 0
        async for chunk in lps.export_csv(conn, LpFilters(type=["foundation"], quality_min=0.7)):
            rows += chunk.count("\n")
        export.rows = rows  # type: ignore[attr-defined]

    base = percentiles(await timed(pool, principal, baseline, runs))
    print(f"LPs: {total:,}; vectors loaded in {vectors_s:.1f} s")
    print(f"baseline (count of all LPs):      p50 {base[0]:7.1f} ms  p95 {base[1]:7.1f} ms")
    for name, run in (
        ("filtered keyword search", keyword),
        ("semantic search (no embed)", by_meaning),
        ("LP page", lp_page),
    ):
        p50, p95 = percentiles(await timed(pool, principal, run, runs))
        print(
            f"{name:<33} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
            f"  (p95 / baseline p95 = {p95 / base[1]:.2f})"
        )
    print(f"query embedding (local model):    {statistics.median(embed_ms):.1f} ms median")
    exported = await timed(pool, principal, export, 3)
    seconds = statistics.median(exported) / 1000
    print(f"CSV export of {export.rows - 1:,} rows:  {seconds:.2f} s median of 3")  # type: ignore[attr-defined]


if __name__ == "__main__":
    asyncio.run(main())
