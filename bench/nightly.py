"""Nightly rule rescoring at benchmark scale: every active fund against every LP.

Usage: python -m bench.nightly [--lps 100000] [--funds 1000] [--data-dir DIR] [--processes N]
       [--all-active] [--keep-matches]

Builds (or reuses, with --data-dir) an embedded database with the generated market and a
random unit vector per LP mandate, and embeds the fund theses once (not timed: the nightly
embeds only new or edited theses). It deletes every stored match, so every (fund, LP) pair is
missing (--keep-matches keeps them: a night when nothing changed), then times the score phase
of `run_nightly` (debates and pitches off): load the LP base and vectors, filters and factors
as array operations, the best 200 per fund with breakdowns and reasons, written with COPY and
one upsert per fund. With --processes N, N worker processes share the run; --all-active
publishes every fund that can be (the generator leaves some drafts and closed funds).

In the same run it times the floor: numpy's bare cosine of all theses against all mandate
vectors (one matrix product, the vectors already in memory) and a top-200 per fund.
Peak memory is the worker's maximum resident set size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

from bench.lp_search import ensure_market
from src.agents.batch.runner import BatchConfig, Options, Worker
from src.agents.embeddings import LOCAL_DIMS, LOCAL_MODEL, LocalEmbeddings, embed_local, text_hash
from src.config import Settings
from src.db.embedded import start_embedded
from src.db.pool import create_pool
from src.services.matching import lp_base

ROOT = Path(__file__).resolve().parent.parent


def embed_theses(admin_url: str) -> tuple[int, float]:
    """Store a local-model vector for every fund thesis lacking one (untimed set-up)."""
    started = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            """select f.id, f.org_id, f.thesis from funds f
               where coalesce(f.thesis, '') <> '' and not exists (
                 select 1 from embeddings e where e.entity_type = 'fund_thesis'
                   and e.entity_id = f.id and e.model = %s
                   and e.text_hash = encode(sha256(convert_to(btrim(f.thesis), 'UTF8')), 'hex'))""",
            (LOCAL_MODEL,),
        ).fetchall()
        for start in range(0, len(rows), 256):
            batch = rows[start : start + 256]
            vectors = embed_local([r[2] for r in batch])
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into embeddings (entity_type, entity_id, org_id, model, dims,"
                    " text_hash, embedding) values ('fund_thesis', %s, %s, %s, %s, %s, %s)"
                    " on conflict (entity_type, entity_id, model) do update"
                    " set text_hash = excluded.text_hash, embedding = excluded.embedding",
                    [(r[0], r[1], LOCAL_MODEL, LOCAL_DIMS, text_hash(r[2]),
                      "[" + ",".join(f"{x:.7f}" for x in v) + "]")
                     for r, v in zip(batch, vectors, strict=True)],
                )  # fmt: skip
    return len(rows), time.perf_counter() - started


async def floor(admin_url: str, keep: int) -> dict[str, float]:
    """Bare numpy: every thesis against every mandate vector, and a top-`keep` per fund."""
    async with await psycopg.AsyncConnection.connect(admin_url) as conn:
        base = await lp_base.load_lp_base(conn, model=LOCAL_MODEL)
        theses_cur = await conn.execute(
            "select embedding::text from embeddings where entity_type = 'fund_thesis'"
            " and model = %s", (LOCAL_MODEL,),
        )  # fmt: skip
        theses = np.array([[float(x) for x in r[0].strip("[]").split(",")]
                           for r in await theses_cur.fetchall()], dtype=np.float32)  # fmt: skip
    assert base.vectors is not None
    started = time.perf_counter()
    cosine = base.vectors @ theses.T
    product = time.perf_counter() - started
    np.argpartition(-cosine, keep, axis=0)[:keep]
    return {"lps": base.vectors.shape[0], "theses": theses.shape[0], "matmul_s": product,
            "matmul_topk_s": time.perf_counter() - started}  # fmt: skip


async def nightly_in_process(app_url: str) -> tuple[float, dict, int]:
    settings = Settings(_env_file=None, database_url=app_url, db_pool_max_size=4)  # type: ignore[call-arg]
    pool = create_pool(app_url, settings)
    await pool.open(wait=True)
    try:
        config = BatchConfig(debates_per_fund=0, pitches_per_fund=0, deadline_utc=None)
        worker = Worker(pool, "nightly", config=config, embeddings=LocalEmbeddings(), llm=None)
        started = time.perf_counter()
        outcome = await worker.run(Options())
        wall = time.perf_counter() - started
    finally:
        await pool.close()
    assert outcome.run is not None
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return wall, outcome.run.counts, peak_kb


def nightly_processes(app_url: str, n: int, scratch: str) -> tuple[float, int]:
    env = {**os.environ, "DATABASE_URL": app_url, "DATA_DIR": scratch, "APP_ENV": "development",
           "BATCH_DEBATES_PER_FUND": "0", "BATCH_PITCHES_PER_FUND": "0",
           "BATCH_DEADLINE_UTC": ""}  # fmt: skip
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "src.agents.batch.run_nightly", "--progress", "json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(n)
    ]
    codes = [p.wait() for p in procs]
    wall = time.perf_counter() - started
    assert codes == [0] * n, codes
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lps", type=int, default=100_000)
    parser.add_argument("--funds", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, help="keep the database here and reuse it")
    parser.add_argument("--processes", type=int, default=0, help="worker processes (0: in-process)")
    parser.add_argument("--all-active", action="store_true",
                        help="publish every fund that can be (all 1,000 scored)")  # fmt: skip
    parser.add_argument("--keep-matches", action="store_true",
                        help="keep the stored matches: a night when nothing changed")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_embedded(args.data_dir or Path(scratch), database="bench_lps")
        try:
            await ensure_market(server.admin_url, lps=args.lps, funds=args.funds)
            if args.all_active:
                with psycopg.connect(server.admin_url, autocommit=True) as conn:
                    conn.execute("update funds set status = 'raising' where status in ('draft',"
                                 " 'closed') and strategy is not null"
                                 " and target_size_musd is not null")  # fmt: skip
            embedded, embed_s = embed_theses(server.admin_url)
            with psycopg.connect(server.admin_url, autocommit=True) as conn:
                if not args.keep_matches:
                    conn.execute("truncate fund_lp_matches cascade")
                conn.execute("delete from batch_runs")
                conn.execute("vacuum analyze fund_lp_matches")
                active = conn.execute(
                    "select count(*) from funds where status in ('raising', 'first_close',"
                    " 'pre_marketing', 'final_close')").fetchone()[0]  # fmt: skip
                lps = conn.execute("select count(*) from lp_profiles").fetchone()[0]
            if args.processes:
                wall, peak_kb = nightly_processes(server.app_url, args.processes, scratch)
                counts = {}
            else:
                wall, counts, peak_kb = await nightly_in_process(server.app_url)
            base = await floor(server.admin_url, 200)
            with psycopg.connect(server.admin_url) as conn:
                stored = conn.execute("select count(*) from fund_lp_matches").fetchone()[0]
                size = conn.execute(
                    "select pg_size_pretty(pg_total_relation_size('fund_lp_matches'))"
                ).fetchone()[0]
        finally:
            server.stop()
    print(json.dumps({
        "lps": lps, "active_funds": active, "theses_embedded_first": embedded,
        "thesis_embedding_s": round(embed_s, 1),
        "nightly_rule_rescoring_s": round(wall, 2),
        "workers": args.processes or 1,
        "pairs_scored": active * lps, "pairs_per_s": round(active * lps / wall),
        "matches_stored": stored, "matches_table": size,
        "floor_matmul_s": round(base["matmul_s"], 3),
        "floor_matmul_topk_s": round(base["matmul_topk_s"], 3),
        "ratio_to_floor": round(wall / base["matmul_topk_s"], 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "counts": counts,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
