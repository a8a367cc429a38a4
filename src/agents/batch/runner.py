"""Run a batch job as one worker of a shared run: join or start, plan, claim, work, finish.

Every worker of a job runs this loop. The first to start a run creates it; later ones (cron
replicas, or a restart after a crash) join it, because a job never has two runs at once. A run
moves through phases; the worker that finds a phase's items all finished plans the next one
under the run's row lock, so the plan is made once:

    score   every active fund (nightly) or the changed funds and LPs (incremental)
    debate  each fund's best `debates_per_fund` matches with no analysis since they were scored
    pitch   each fund's best `pitches_per_fund` matches with no pitch yet

Items are claimed a chunk at a time with leases the worker keeps extending; each item's results
are written in the transaction that marks it done. Lost database connections are retried with
backoff (for up to `outage_seconds`); an item that raises goes back to the queue and fails after
`max_attempts`. After the deadline no item is started: the rest are deferred (the next run plans
them again) and an alert is raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from functools import partial
from typing import Final, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import PoolTimeout

from src.agents.batch import analysis, chunks, planning, scoring
from src.agents.batch.model import BatchConfig as BatchConfig
from src.agents.batch.model import Options as Options
from src.agents.batch.model import Outcome as Outcome
from src.agents.batch.model import Progress as Progress
from src.agents.batch.model import next_deadline as next_deadline
from src.agents.embeddings import EmbeddingProvider
from src.agents.llm import LlmClient
from src.db.queries import batch as queue
from src.db.queries import batch_plan, metrics
from src.db.queries.batch import Item, Run
from src.db.tenancy import Pool, service_transaction

logger = logging.getLogger(__name__)
Conn = AsyncConnection[TupleRow]
T = TypeVar("T")

PHASES: Final = {
    "nightly": ("score", "debate", "pitch"),
    "incremental": ("score", "debate", "pitch"),
}
TRANSIENT: Final = (psycopg.OperationalError, PoolTimeout)
BATCH_STATEMENT_TIMEOUT: Final = "10min"
CHANGES_KEPT_DAYS: Final = 35


class Worker:
    """One worker of a job's run."""

    def __init__(
        self,
        pool: Pool,
        job: str,
        *,
        config: BatchConfig,
        embeddings: EmbeddingProvider,
        llm: LlmClient | None,
        report: Callable[[Progress], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.job = job
        self.config = config
        self.embeddings = embeddings
        self.llm = llm
        self.report = report
        self.clock = clock
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.progress = Progress()
        self.scorer: scoring.Scorer | None = None
        self.processed = 0
        self.failed = 0

    def transaction(self) -> AbstractAsyncContextManager[Conn]:
        """A service-path transaction with the batch's statement timeout."""
        return service_transaction(self.pool, statement_timeout=BATCH_STATEMENT_TIMEOUT)

    async def retrying(self, step: Callable[[], Awaitable[T]]) -> T:
        """Run a step, retrying while the database is unreachable (up to `outage_seconds`)."""
        started = time.monotonic()
        delay = 0.5
        while True:
            try:
                return await step()
            except TRANSIENT as exc:
                if time.monotonic() - started > self.config.outage_seconds:
                    raise
                logger.warning("batch_database_unavailable", extra={"error": str(exc)[:200],
                               "retry_in": delay})  # fmt: skip
                await asyncio.sleep(delay * (1 + random.random() / 4))  # noqa: S311
                delay = min(delay * 2, 15.0)

    # --- the run ---------------------------------------------------------------------------

    async def run(self, options: Options) -> Outcome:
        """Join the job's running run or start one, work until it is done, report it."""
        if options.dry_run:
            return Outcome(run=None, plan=await self.retrying(lambda: self.dry_run(options)))
        run_id = await self.retrying(lambda: self.join_or_start(options))
        self.progress.run_id = run_id
        keep_alive = asyncio.create_task(self.keep_alive(run_id))
        try:
            while True:
                phase = await self.retrying(lambda: self.advance(run_id))
                if phase is None:
                    break
                items = await self.retrying(partial(self.claim, run_id, phase))
                if not items:
                    await asyncio.sleep(self.config.poll_seconds)
                    continue
                await self.work(run_id, phase, items)
        finally:
            keep_alive.cancel()
        run = await self.retrying(lambda: self.read_run(run_id))
        return Outcome(run=run, processed=self.processed, failed=self.failed)

    async def read_run(self, run_id: uuid.UUID) -> Run | None:
        """The run as it stands."""
        async with self.transaction() as conn:
            return await queue.get_run(conn, run_id)

    async def join_or_start(self, options: Options) -> uuid.UUID:
        """The job's running run (joined), or a new one."""
        async with self.transaction() as conn:
            await queue.lock_job(conn, self.job)
            current = await queue.running(conn, self.job)
            if current is not None:
                logger.info("batch_joined", extra={"run_id": str(current.id), "job": self.job})
                return current.id
            deadline = options.deadline
            if deadline is None and self.job == "nightly":
                deadline = next_deadline(self.clock(), self.config.deadline_utc)
            since = options.since
            if since is None and self.job == "incremental":
                since = await queue.last_success(conn, ("nightly", "incremental"))
            run_id = await queue.insert_run(
                conn, job=self.job, params=options.as_params(), deadline_at=deadline,
                since=since, phase="plan",
            )  # fmt: skip
            logger.info("batch_started", extra={"run_id": str(run_id), "job": self.job})
            return run_id

    async def keep_alive(self, run_id: uuid.UUID) -> None:
        """Extend this worker's leases and the run's heartbeat until cancelled."""
        while True:
            await asyncio.sleep(max(self.config.lease_seconds / 3, 0.2))
            try:
                async with self.transaction() as conn:
                    await queue.heartbeat(conn, run_id, self.name, self.config.lease_seconds)
            except TRANSIENT as exc:
                logger.warning("batch_heartbeat_failed", extra={"error": str(exc)[:200]})

    async def advance(self, run_id: uuid.UUID) -> str | None:
        """The phase to work on (planning the next ones as they finish); None when done."""
        async with self.transaction() as conn:
            run = await queue.get_run(conn, run_id, lock=True)
            if run is None or run.status != "running":
                return None
            await queue.give_up_on_lapsed(conn, run_id, self.config.max_attempts)
            past_deadline = run.deadline_at is not None and self.clock() >= run.deadline_at
            if past_deadline:
                await queue.defer_pending(conn, run_id, "left for the next run: past the deadline")
            phase = run.phase
            while True:
                if phase != "plan" and await queue.open_items(conn, run_id, phase):
                    self.progress.phase = phase
                    return phase
                following = self.next_phase(phase)
                if following is None or past_deadline:
                    await self.finish(conn, run, past_deadline=past_deadline)
                    return None
                await self.plan(conn, run, following)
                await queue.set_phase(conn, run_id, following)
                phase = following

    def next_phase(self, phase: str) -> str | None:
        """The phase after `phase` (None: the run is complete)."""
        phases = PHASES[self.job]
        if phase == "plan":
            return phases[0]
        index = phases.index(phase)
        return phases[index + 1] if index + 1 < len(phases) else None

    async def claim(self, run_id: uuid.UUID, phase: str) -> list[Item]:
        """The next chunk of the phase's items for this worker."""
        past = self.clock()
        async with self.transaction() as conn:
            run = await queue.get_run(conn, run_id)
            if run is None or (run.deadline_at is not None and past >= run.deadline_at):
                return []
            size = self.config.chunk
            if phase != "score" and self.llm is not None:
                size = self.llm.settings.concurrency
            return await queue.claim(
                conn, run_id, phase, worker=self.name, limit=size,
                lease_seconds=self.config.lease_seconds,
            )  # fmt: skip

    # --- planning --------------------------------------------------------------------------

    async def plan(self, conn: Conn, run: Run, phase: str) -> int:
        """Queue a phase's items; how many."""
        fund = uuid.UUID(run.params["fund"]) if run.params.get("fund") else None
        if phase == "score":
            items = await planning.score_items(
                conn, since=run.since, fund=fund, full_rescore_share=self.config.full_rescore_share
            )
            if run.params.get("limit") is not None:
                items = items[: int(run.params["limit"])]
            if self.job == "nightly":
                await batch_plan.trim_changes(conn, days=CHANGES_KEPT_DAYS)
                refreshed = await batch_plan.refresh_data_quality(conn)
                logger.info("batch_data_quality_refreshed", extra={"lps": refreshed})
        else:
            funds = await planning.scope(conn, run.id, fund)
            items = await planning.analysis_items(conn, phase, funds, self.per_fund(phase))
            if phase == "pitch":
                await batch_plan.clear_analysis_requests(conn, funds, run.started_at)
        added = await queue.add_items(conn, run.id, items)
        logger.info("batch_planned", extra={"run_id": str(run.id), "phase": phase, "items": added})
        return added

    def per_fund(self, phase: str) -> int:
        """How many of each fund's best matches the phase covers."""
        return self.config.debates_per_fund if phase == "debate" else self.config.pitches_per_fund

    async def dry_run(self, options: Options) -> dict[str, int]:
        """What a run would do now, writing nothing."""
        async with self.transaction() as conn:
            since = options.since
            if since is None and self.job == "incremental":
                since = await queue.last_success(conn, ("nightly", "incremental"))
            scores = await planning.score_items(
                conn, since=since, fund=options.fund,
                full_rescore_share=self.config.full_rescore_share,
            )  # fmt: skip
            if options.limit is not None:
                scores = scores[: options.limit]
            funds = list(dict.fromkeys(i["fund_id"] for i in scores))
            debates = await batch_plan.to_debate(conn, funds, self.per_fund("debate"))
            pitches = await batch_plan.to_pitch(conn, funds, self.per_fund("pitch"))
        return {
            "funds": len(funds),
            "score_items": len(scores),
            "lps_per_item": max((len(i.get("lp_ids") or []) for i in scores), default=0),
            "debates_now": len(debates),
            "pitches_now": len(pitches),
        }

    # --- the work --------------------------------------------------------------------------

    async def work(self, run_id: uuid.UUID, phase: str, items: list[Item]) -> None:
        """Process claimed items; a database outage retries those not finished yet."""
        pending = list(items)

        async def step() -> None:
            nonlocal pending
            if phase == "score":
                finished = await self.score(pending)
            else:
                finished = await self.analyse(run_id, phase, pending)
            pending = [i for i in pending if i.id not in finished]

        await self.retrying(step)
        await self.retrying(lambda: self.update_progress(run_id, phase))

    async def score(self, items: Sequence[Item]) -> set[int]:
        """Score a chunk of fund items; the ids of those finished."""
        if self.scorer is None:
            async with self.transaction() as conn:
                self.scorer = await scoring.Scorer.start(
                    conn, self.embeddings, keep=self.config.keep
                )
        return await chunks.score_chunk(
            self.transaction, self.scorer, items, worker=self.name, now=self.clock(),
            guard=self.guarded,
        )  # fmt: skip

    async def analyse(self, run_id: uuid.UUID, phase: str, items: Sequence[Item]) -> set[int]:
        """Debate or pitch claimed items concurrently (the LLM client caps the calls)."""
        finished: set[int] = set()
        job = analysis.Analysis(self.transaction, self.llm, run_id=run_id, worker=self.name)

        async def one(item: Item) -> None:
            handler = job.debate if phase == "debate" else job.pitch
            await self.guarded(item, partial(handler, item))
            finished.add(item.id)

        await asyncio.gather(*(one(item) for item in items))
        return finished

    async def guarded(self, item: Item, work: Callable[[], Awaitable[bool]]) -> None:
        """Run one item; an error other than a lost database goes back to the queue."""
        try:
            if await work():
                self.processed += 1
        except TRANSIENT:
            raise
        except Exception as exc:
            logger.exception("batch_item_failed", extra={"item": item.id, "phase": item.phase})
            async with self.transaction() as conn:
                status = await queue.release(
                    conn, item.id, self.name, error=f"{type(exc).__name__}: {exc}",
                    max_attempts=self.config.max_attempts,
                )  # fmt: skip
            if status == "failed":
                self.failed += 1

    async def update_progress(self, run_id: uuid.UUID, phase: str) -> None:
        """Count the phase's items and report."""
        async with self.transaction() as conn:
            counts = (await queue.item_counts(conn, run_id)).get(phase, {})
        self.progress.phase = phase
        self.progress.total = sum(counts.values())
        self.progress.done = (
            self.progress.total - counts.get("pending", 0) - counts.get("claimed", 0)
        )
        if self.report is not None:
            self.report(self.progress)

    # --- the end ---------------------------------------------------------------------------

    async def finish(self, conn: Conn, run: Run, *, past_deadline: bool) -> None:
        """Close the run with its counts, and alert when it failed or left work."""
        counts = await queue.item_counts(conn, run.id)
        totals = await queue.result_totals(conn, run.id)
        failed = sum(c.get("failed", 0) for c in counts.values())
        deferred = sum(c.get("deferred", 0) for c in counts.values())
        skipped = sum(c.get("skipped", 0) for c in counts.values())
        status = (
            "failed"
            if failed
            else "partial"
            if (deferred or skipped or past_deadline)
            else "succeeded"
        )
        tokens, cost = await queue.llm_totals(conn, run.id)
        summary = _summary(self.job, counts, totals, status, past_deadline)
        closed = await queue.finish_run(
            conn, run.id, status=status, counts={"items": counts, **totals},
            errors=await queue.failures(conn, run.id), tokens=tokens, cost=cost, summary=summary,
        )  # fmt: skip
        if not closed:
            return
        logger.info("batch_finished", extra={"run_id": str(run.id), "status": status})
        if failed:
            await metrics.open_incident(
                conn, incident=f"batch_failed:{run.id}", kind="batch_failed", severity="critical",
                message=f"The {self.job} run failed {failed} item(s). {summary}",
                details={"run_id": str(run.id), "failed": failed},
            )  # fmt: skip
        if past_deadline:
            await metrics.open_incident(
                conn, incident=f"batch_deadline:{run.id}", kind="batch_deadline",
                severity="warning",
                message=f"The {self.job} run reached its deadline with {deferred} item(s) left"
                " for the next run.",
                details={"run_id": str(run.id), "deferred": deferred,
                         "deadline": run.deadline_at.isoformat() if run.deadline_at else None},
            )  # fmt: skip


def _summary(
    job: str, counts: dict[str, dict[str, int]], totals: dict[str, int], status: str,
    past_deadline: bool,
) -> str:  # fmt: skip
    parts = []
    for phase in ("score", "debate", "pitch"):
        c = counts.get(phase)
        if c:
            parts.append(f"{phase}: {c.get('done', 0)} done of {sum(c.values())}"
                         + (f", {c['failed']} failed" if c.get("failed") else "")
                         + (f", {c['deferred']} deferred" if c.get("deferred") else "")
                         + (f", {c['skipped']} skipped" if c.get("skipped") else ""))  # fmt: skip
    facts = [f"{v} {k.replace('_', ' ')}" for k, v in sorted(totals.items()) if v]
    text = f"{job} {status}: " + ("; ".join(parts) or "nothing to do")
    if facts:
        text += ". " + ", ".join(facts)
    if past_deadline:
        text += ". Stopped at the deadline."
    return text
