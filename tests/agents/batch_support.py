"""Shared by the batch tests: a small demo market with mandate vectors, and run helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from src.agents.batch.runner import BatchConfig, Options, Outcome, Worker
from src.agents.embeddings import LOCAL_DIMS, LOCAL_MODEL, LocalEmbeddings, embed_local, text_hash
from src.db.tenancy import Pool
from src.demo.load import load_market
from src.demo.market import demo_logins, generate_market

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 27)
_VECTORS: dict[str, list[float]] = {}


def load_demo(admin_url: str, *, lps: int = 400, funds: int = 12, seed: int = 3) -> None:
    """A generated market with every LP mandate embedded by the local model (cached)."""
    market = generate_market(seed=seed, lps=lps, funds=funds, as_of=AS_OF)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        load_market(conn, market)
        rows = conn.execute(
            "select org_id, mandate_text from public.lp_profiles where mandate_text <> ''"
        ).fetchall()
        missing = [t for _, t in rows if t not in _VECTORS]
        for start in range(0, len(missing), 128):
            batch = missing[start : start + 128]
            _VECTORS.update(zip(batch, embed_local(batch), strict=True))
        with conn.cursor().copy(
            "copy public.embeddings (entity_type, entity_id, model, dims, text_hash, embedding)"
            " from stdin"
        ) as copy:
            for org_id, text in rows:
                vector = "[" + ",".join(f"{x:.7f}" for x in _VECTORS[text]) + "]"
                copy.write_row(["lp_mandate", org_id, LOCAL_MODEL, LOCAL_DIMS, text_hash(text),
                                vector])  # fmt: skip


def demo_email(role: str) -> str:
    """The demo's first sign-in with this role (platform_admin, admin, member or viewer)."""
    return next(login.email for login in demo_logins() if login.role == role)


def worker(pool: Pool, job: str = "nightly", **config: Any) -> Worker:
    """An in-process worker with the local model and the offline analyst."""
    defaults: dict[str, Any] = {"poll_seconds": 0.05, "deadline_utc": None}
    return Worker(pool, job, config=BatchConfig(**{**defaults, **config}),
                  embeddings=LocalEmbeddings(), llm=None)  # fmt: skip


async def run_job(pool: Pool, job: str = "nightly", options: Options | None = None,
                  **config: Any) -> Outcome:  # fmt: skip
    """Run one worker to the end."""
    return await worker(pool, job, **config).run(options or Options())


def matches(url: str) -> dict[tuple[Any, Any], tuple[float, float | None, str]]:
    """(fund, LP) → (score, semantic score, label) of every stored match."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select fund_id, lp_org_id, score::float8, semantic_score::float8, recommendation"
            " from public.fund_lp_matches"
        ).fetchall()
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def scalar(url: str, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
    """The first column of the first row."""
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def batch_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a batch subprocess: this database, no keys, no .env file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LPXGP", "DATABASE"))}
    env.update({"APP_ENV": "test", "DATABASE_URL": database_url, "DATA_DIR": str(tmp),
                "BATCH_DEADLINE_UTC": "", "PYTHONUNBUFFERED": "1", **extra})  # fmt: skip
    return env


def start_batch(module: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`python -m src.agents.batch.<module>` in the background, JSON progress on stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", f"src.agents.batch.{module}", "--progress", "json", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
