"""The command line the batch entry points share: flags, providers, progress, exit code."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from src.agents.batch.runner import BatchConfig, Options, Outcome, Progress, Worker
from src.agents.call_log import build_llm
from src.agents.embeddings import build_embeddings
from src.agents.tracing import build_tracing
from src.config import Settings, get_settings
from src.db.migrate import apply_migrations
from src.db.pool import pool_for, resolve_database
from src.db.tenancy import Pool


def when(value: str) -> datetime:
    """An ISO 8601 time (UTC when no offset is given)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 time (e.g. 2026-11-27T02:00:00Z)"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The flags every batch job takes."""
    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    p.add_argument("--dry-run", action="store_true", help="show what would be done, do nothing")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N funds")
    p.add_argument("--fund", type=uuid.UUID, default=None, metavar="ID", help="only this fund")
    p.add_argument("--since", type=when, default=None, metavar="TIME",
                   help="only funds and LPs changed since TIME (ISO 8601)")  # fmt: skip
    p.add_argument("--deadline", type=when, default=None, metavar="TIME",
                   help="start nothing after TIME (nightly: BATCH_DEADLINE_UTC)")  # fmt: skip
    p.add_argument("--progress", choices=("auto", "bar", "json"), default="auto",
                   help="a bar on a terminal, JSON lines otherwise (auto)")  # fmt: skip
    return p


def reporter(style: str) -> Callable[[Progress], None]:
    """Progress as a bar (terminal) or one JSON object per line."""
    bar = style == "bar" or (style == "auto" and sys.stdout.isatty())
    started = time.perf_counter()

    def report(progress: Progress) -> None:
        if bar:
            width = 30
            filled = int(width * progress.done / max(progress.total, 1))
            elapsed = time.perf_counter() - started
            sys.stdout.write(
                f"\r  {progress.phase:<7} [{'#' * filled}{'.' * (width - filled)}]"
                f" {progress.done}/{progress.total} ({elapsed:.0f}s)"
            )
            sys.stdout.flush()
        else:
            line = {"run_id": str(progress.run_id), "phase": progress.phase,
                    "done": progress.done, "total": progress.total}  # fmt: skip
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()

    return report


async def with_pool(settings: Settings, body: Callable[[Pool], Awaitable[int]]) -> int:
    """Open the configured database (starting the embedded one when none is configured)."""
    target = resolve_database(settings)
    if target.embedded is not None:
        await apply_migrations(target.admin_url)
    pool = pool_for(target, settings)
    await pool.open(wait=True, timeout=60)
    try:
        return await body(pool)
    finally:
        await pool.close()


def outcome_text(outcome: Outcome) -> str:
    """The last lines a job prints."""
    if outcome.run is None:
        return "Dry run (nothing written): " + json.dumps(outcome.plan) + "\n"
    run = outcome.run
    text = f"\nRun {run.id} ({run.job}): {run.status}"
    if run.summary:
        text += f"\n{run.summary}"
    if run.llm_tokens:
        text += f"\nLLM: {run.llm_tokens} tokens, ${run.llm_cost_usd:.4f}"
    return text + f"\nThis worker processed {outcome.processed} item(s).\n"


async def run_queue_job(job: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run a worker of the nightly or incremental job."""
    options = Options(dry_run=args.dry_run, limit=args.limit, fund=args.fund, since=args.since,
                      deadline=args.deadline)  # fmt: skip

    async def body(pool: Pool) -> int:
        tracing = build_tracing(settings)
        llm = build_llm(settings, pool, tracing)
        embeddings = build_embeddings(settings)
        config = BatchConfig.from_settings(settings)
        worker = Worker(pool, job, config=config, embeddings=embeddings, llm=llm,
                        report=reporter(args.progress))  # fmt: skip
        try:
            outcome = await worker.run(options)
        finally:
            if llm is not None:
                await llm.aclose()
            tracing.shutdown()
        sys.stdout.write(outcome_text(outcome))
        return outcome.exit_code

    return await with_pool(settings, body)


def main_for(job: str, argv: list[str] | None, description: str) -> int:
    """Parse flags and run one worker of `job`."""
    args = parser(f"src.agents.batch.run_{job}", description).parse_args(argv)
    if args.limit is not None and args.limit < 1:
        sys.stderr.write("--limit must be at least 1\n")
        return 2
    return asyncio.run(run_queue_job(job, args, get_settings()))
