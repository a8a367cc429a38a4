"""Matching at benchmark scale: one fund against every LP, rule + semantic, top 50 with reasons.

Usage: python -m bench.matching [--lps 100000] [--funds 1000] [--runs 20] [--data-dir DIR]

Builds (or reuses, with --data-dir) an embedded database with the generated market and a
random unit vector per LP mandate (the cost does not depend on what they mean), then times
`compute_matches` for published funds inside a member's RLS transaction: hard filters, five
factor scores and the blend for every LP in SQL, the best 50 kept with breakdowns and reasons,
upserted, and the per-filter exclusion counts. In the same run it times the floor: numpy's bare
cosine of one thesis against all the vectors already in memory (no filters, no I/O).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg

from bench.lp_search import ensure_market, percentiles
from src.agents.embeddings import LocalEmbeddings
from src.auth.tokens import Principal
from src.config import Settings
from src.db.embedded import start_embedded
from src.db.pool import create_pool
from src.db.tenancy import user_transaction
from src.services.matching import engine


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lps", type=int, default=100_000)
    parser.add_argument("--funds", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, help="keep the database here and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_embedded(args.data_dir or Path(scratch), database="bench_lps")
        try:
            await ensure_market(server.admin_url, lps=args.lps, funds=args.funds)
            with psycopg.connect(server.admin_url, autocommit=True) as conn:
                user, funds = _member_and_funds(conn)
                vectors = _all_vectors(conn)
            settings = Settings(_env_file=None, database_url=server.app_url)  # type: ignore[call-arg]
            pool = create_pool(server.app_url, settings)
            await pool.open(wait=True)
            await _report(pool, user, funds, vectors, args.runs)
            await pool.close()
        finally:
            server.stop()


def _member_and_funds(conn: psycopg.Connection) -> tuple[uuid.UUID, list[uuid.UUID]]:
    row = conn.execute(
        "select p.auth_user_id, e.org_id from people p join employment e on e.person_id = p.id"
        " where p.email = 'member@northlight.example.com'"
    ).fetchone()
    assert row is not None
    funds = [
        r[0]
        for r in conn.execute(
            "select id from funds where org_id = %s and status <> 'draft'", (row[1],)
        )
    ]
    return row[0], funds


def _all_vectors(conn: psycopg.Connection) -> np.ndarray:
    rows = conn.execute(
        "select embedding::text from embeddings where entity_type = 'lp_mandate'"
    ).fetchall()
    return np.array([[float(x) for x in r[0].strip("[]").split(",")] for r in rows], np.float32)


async def _report(
    pool, user: uuid.UUID, funds: list[uuid.UUID], vectors: np.ndarray, runs: int
) -> None:
    now = datetime.now(UTC)
    claims = {"sub": str(user), "role": "authenticated", "session_id": str(uuid.uuid4())}
    principal = Principal(user, None, None, now, now, now, claims)
    embeddings = LocalEmbeddings()
    await embeddings.embed_query("warm-up")

    async def baseline() -> float:
        async with user_transaction(pool, principal) as conn:
            started = time.perf_counter()
            await (await conn.execute("select count(*) from lp_profiles")).fetchone()
            return (time.perf_counter() - started) * 1000

    samples, stored, candidates = [], 0, 0
    base = [await baseline() for _ in range(runs)]
    for i in range(runs + 2):
        async with user_transaction(pool, principal) as conn:
            started = time.perf_counter()
            run = await engine.compute_matches(
                conn, funds[i % len(funds)], embeddings=embeddings, now=now, keep=50
            )
            elapsed = (time.perf_counter() - started) * 1000
        if i >= 2:  # the first two embed and store the theses
            samples.append(elapsed)
            stored, candidates = run.stored, run.candidates
    thesis = vectors[0]
    floor = []
    for _ in range(runs):
        started = time.perf_counter()
        scores = vectors @ thesis
        np.argpartition(-scores, 50)[:50]
        floor.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(samples)
    b50, b95 = percentiles(base)
    print(f"LP vectors: {len(vectors):,}; funds timed: {min(len(funds), runs)}")
    print(f"baseline (count of all LPs):     p50 {b50:7.1f} ms  p95 {b95:7.1f} ms")
    print(
        f"match one fund (top {stored}):       p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
        f"  ({candidates:,} LPs passed the hard filters; p95 / baseline p95 = {p95 / b95:.1f})"
    )
    print(f"numpy floor (bare cosine, top 50): p50 {statistics.median(floor):7.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
