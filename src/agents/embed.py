"""Embed every LP mandate and fund thesis that lacks a vector for the active model.

Usage: python -m src.agents.embed [--limit N] [--dry-run]

A changed text is re-embedded (vectors are keyed by a hash of the text). Progress goes to the
terminal as a bar, or as JSON lines when output is not a terminal. Exit code 1 if the
embedding provider failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from src.agents.embeddings import EmbeddingProvider, EmbeddingUnavailable, build_embeddings
from src.config import Settings, get_settings
from src.db.pool import pool_for, resolve_database
from src.db.queries import embeddings as queries
from src.db.tenancy import Pool, service_transaction

logger = structlog.get_logger("lpxgp.embed")
BATCH = 64


@dataclass
class Progress:
    """How far an embedding run has come; read by the search page while it runs."""

    done: int = 0
    total: int = 0
    running: bool = False
    error: str | None = None


async def embed_pending(
    pool: Pool,
    provider: EmbeddingProvider,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    report: Callable[[Progress], None] | None = None,
) -> Progress:
    """Embed pending texts in batches; each batch is stored in its own transaction."""
    progress = progress or Progress()
    async with service_transaction(pool) as conn:
        progress.total = await queries.count_pending(conn, model=provider.model)
    if limit is not None:
        progress.total = min(progress.total, limit)
    progress.running, progress.done = True, 0
    try:
        while progress.done < progress.total:
            async with service_transaction(pool) as conn:
                batch = await queries.list_pending(
                    conn, model=provider.model, limit=min(BATCH, progress.total - progress.done)
                )
            if not batch:
                break
            vectors = await provider.embed_documents([p.text for p in batch])
            async with service_transaction(pool) as conn:
                await queries.upsert_embeddings(
                    conn,
                    model=provider.model,
                    dims=provider.dims,
                    rows=list(zip(batch, vectors, strict=True)),
                )
            progress.done += len(batch)
            if report:
                report(progress)
    except EmbeddingUnavailable as exc:
        progress.error = str(exc)
        logger.warning("embedding_stopped", error=str(exc), done=progress.done)
    finally:
        progress.running = False
    return progress


def _reporter(started: float) -> Callable[[Progress], None]:
    def report(progress: Progress) -> None:
        if sys.stdout.isatty():
            width = 30
            filled = int(width * progress.done / max(progress.total, 1))
            rate = progress.done / max(time.perf_counter() - started, 1e-6)
            sys.stdout.write(
                f"\r  [{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total} "
                f"({rate:.0f}/s)"
            )
            sys.stdout.flush()
        else:
            sys.stdout.write(json.dumps({"done": progress.done, "total": progress.total}) + "\n")

    return report


async def _run(settings: Settings, limit: int | None, dry_run: bool) -> int:
    target = resolve_database(settings)
    provider = build_embeddings(settings)
    pool = pool_for(target, settings)
    await pool.open(wait=True, timeout=30)
    try:
        if dry_run:
            async with service_transaction(pool) as conn:
                pending = await queries.count_pending(conn, model=provider.model)
            sys.stdout.write(f"{pending} texts need a {provider.model} vector\n")
            return 0
        progress = await embed_pending(
            pool, provider, limit=limit, report=_reporter(time.perf_counter())
        )
    finally:
        await pool.close()
    sys.stdout.write(
        f"\nEmbedded {progress.done} of {progress.total} texts with {provider.model}\n"
    )
    if progress.error:
        sys.stderr.write(f"Stopped early: {progress.error}\n")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse flags and embed what is missing."""
    parser = argparse.ArgumentParser(prog="python -m src.agents.embed", description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="embed at most N texts")
    parser.add_argument(
        "--dry-run", action="store_true", help="count what is missing, embed nothing"
    )
    args = parser.parse_args(argv)
    return asyncio.run(_run(get_settings(), args.limit, args.dry_run))


if __name__ == "__main__":
    raise SystemExit(main())
