"""Batch runs as platform admins see them, and starting a worker from the console.

Runs and items are read in the admin's own transaction (row-level security lets only platform
admins read them). "Run now" starts a worker inside the web process: it joins the job's running
run or starts one, exactly as a cron worker would, so the cron services and the console never
run the same job twice at once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from pydantic import BaseModel

from src.agents.batch import monthly_retrain
from src.agents.batch.runner import BatchConfig, Options, Worker
from src.agents.embeddings import EmbeddingProvider
from src.agents.llm import LlmClient
from src.config import Settings
from src.db.queries import batch as queries
from src.db.queries.batch import Run
from src.db.tenancy import Pool
from src.errors import Conflict, InvalidInput, NotFound

logger = logging.getLogger(__name__)
Conn = AsyncConnection[TupleRow]
JOBS: Final = {
    "nightly": "Nightly (02:00 UTC)",
    "incremental": "Incremental (every 4 hours)",
    "monthly_retrain": "Monthly retrain (1st, 03:00 UTC)",
}


class RunDetail(BaseModel):
    """One run with its items per phase and status, and its failures."""

    run: Run
    items: dict[str, dict[str, int]]
    failures: list[dict[str, Any]]

    @property
    def progress(self) -> list[tuple[str, int, int]]:
        """(phase, finished, total) for each phase planned so far."""
        out = []
        for phase in ("score", "debate", "pitch"):
            counts = self.items.get(phase)
            if counts:
                total = sum(counts.values())
                open_ = counts.get("pending", 0) + counts.get("claimed", 0)
                out.append((phase, total - open_, total))
        return out


async def list_runs(conn: Conn, *, limit: int = 50) -> list[Run]:
    """The latest runs, newest first."""
    return await queries.list_runs(conn, limit=limit)


async def detail(conn: Conn, run_id: uuid.UUID) -> RunDetail:
    """One run (NotFound when it does not exist)."""
    run = await queries.get_run(conn, run_id)
    if run is None:
        raise NotFound("batch run", run_id)
    return RunDetail(
        run=run,
        items=await queries.item_counts(conn, run_id),
        failures=await queries.failures(conn, run_id),
    )


class Launcher:
    """Starts batch workers inside the web process and keeps hold of them until they end."""

    def __init__(
        self,
        pool: Pool,
        settings: Settings,
        embeddings: EmbeddingProvider,
        llm: LlmClient | None,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.embeddings = embeddings
        self.llm = llm
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def running(self, job: str) -> bool:
        """Whether this process already works on the job."""
        task = self.tasks.get(job)
        return task is not None and not task.done()

    def start(self, job: str) -> None:
        """Start a worker of the job (it joins a running run of the job, or starts one)."""
        if job not in JOBS:
            raise InvalidInput(
                f"Unknown job {job!r}; choose one of {', '.join(JOBS)}.",
                details=[{"field": "job", "message": f"One of {', '.join(JOBS)}."}],
            )
        if self.running(job):
            raise Conflict("A worker of this job is already running in this process.")
        self.tasks[job] = asyncio.create_task(self._work(job), name=f"batch-{job}")

    async def _work(self, job: str) -> None:
        try:
            if job == "monthly_retrain":
                result = await monthly_retrain.retrain_weights(
                    self.pool, monthly_retrain.RetrainConfig.from_settings(self.settings)
                )
                logger.info("console_retrain_finished", extra={"decision": result.decision})
                return
            worker = Worker(self.pool, job, config=BatchConfig.from_settings(self.settings),
                            embeddings=self.embeddings, llm=self.llm)  # fmt: skip
            outcome = await worker.run(Options())
            summary = outcome.run.summary if outcome.run else None
            logger.info("console_batch_finished", extra={"job": job, "summary": summary})
        except Exception:
            logger.exception("console_batch_failed", extra={"job": job})

    async def aclose(self) -> None:
        """Stop the workers (their leases lapse and cron workers pick their items up)."""
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
