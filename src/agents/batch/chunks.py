"""A chunk of score items: each fund loaded, its thesis compared, scored and written.

Funds scored against every LP are pipelined: one matrix product gives the chunk's thesis
similarities, and while one fund's rows are written the next fund's are computed in a thread.
Items naming only some LPs (the incremental job's) are scored one by one (`score_subset`).
Each item is written and marked done in one transaction, only while the worker holds it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import numpy as np

from src.agents.batch.scoring import (
    Computed,
    Conn,
    Scorer,
    Transaction,
    compute_full,
    score_full,
    score_subset,
    write_full,
)
from src.db.queries import batch as queue
from src.db.queries import batch_plan
from src.db.queries import bulk_matches as bulk_queries
from src.db.queries import matches as queries
from src.db.queries.batch import Item
from src.db.queries.bulk_matches import Stored
from src.errors import NotFound
from src.services.matching.engine import FundRecord, facts_for, load_fund, thesis_vector
from src.services.matching.rules import FundFacts


@dataclass
class Prepared:
    """A fund of the chunk, ready to score (None facts: not matchable any more)."""

    item: Item
    record: FundRecord | None
    facts: FundFacts | None


async def prepare(
    conn: Conn, scorer: Scorer, items: Sequence[Item], now: datetime
) -> list[Prepared]:
    """Each item's fund and its thesis vector (embedding a new thesis when needed)."""
    prepared = []
    for item in items:
        try:
            record = await load_fund(conn, item.fund_id)
        except NotFound:
            prepared.append(Prepared(item, None, None))
            continue
        if record.status not in batch_plan.ACTIVE_STATUSES or record.strategy is None:
            prepared.append(Prepared(item, record, None))
            continue
        vector = await thesis_vector(conn, record, scorer.embeddings)
        facts = facts_for(
            record, today=now.date(), vector=vector, model=scorer.embeddings.model,
            dims=scorer.embeddings.dims,
        )  # fmt: skip
        prepared.append(Prepared(item, record, facts))
    return prepared


async def similarities(
    transaction: Transaction, scorer: Scorer, prepared: Sequence[Prepared]
) -> dict[uuid.UUID, np.ndarray]:
    """Every full item's thesis against every mandate vector: one matrix product per chunk."""
    funds = [p.facts for p in prepared if p.facts is not None and p.item.lp_ids is None]
    if not funds:
        return {}
    async with transaction() as conn:
        base = await scorer.full_base(conn)
    model = scorer.embeddings.model
    with_vectors = [f for f in funds if f.thesis_vector is not None and f.model == model]
    if base.vectors is None or not with_vectors:
        return {}
    theses = np.array([f.thesis_vector for f in with_vectors], dtype=np.float32)
    if theses.shape[1] != base.vectors.shape[1]:
        return {}
    dots = (base.vectors @ theses.T).astype(np.float64)
    norms = np.linalg.norm(theses.astype(np.float64), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = dots / np.outer(base.norms, norms)
    cosine[~base.has_vector] = np.nan
    return {f.id: cosine[:, j] for j, f in enumerate(with_vectors)}


async def score_item(
    transaction: Transaction,
    scorer: Scorer,
    prepared: Prepared,
    cosines: dict[uuid.UUID, np.ndarray],
    *,
    worker: str,
    now: datetime,
) -> bool:
    """Score one fund item and mark it done, in one transaction (false: no longer ours)."""
    async with transaction() as conn:
        if not await queue.still_mine(conn, prepared.item.id, worker):
            return False
        facts = prepared.facts
        if facts is None:
            result = {"skipped": 1}
        elif prepared.item.lp_ids is None:
            result = await score_full(conn, scorer, facts, cosines.get(facts.id), now)
        else:
            result = await score_subset(conn, scorer, facts, prepared.item.lp_ids, now)
        await queue.finish_item(conn, prepared.item.id, status="done", result=result)
    return True


async def write_item(
    transaction: Transaction, prepared: Prepared, computed: Computed, *, worker: str
) -> bool:
    """Write a computed fund and mark its item done, in one transaction (false: not ours)."""
    async with transaction() as conn:
        if not await queue.still_mine(conn, prepared.item.id, worker):
            return False
        result = await write_full(conn, prepared.item.fund_id, computed)
        await queue.finish_item(conn, prepared.item.id, status="done", result=result)
    return True


@dataclass
class Chunk:
    """A chunk's funds, and for those scored against every LP what their computing needs."""

    prepared: list[Prepared]
    full: list[Prepared]
    pinned: dict[uuid.UUID, set[uuid.UUID]]
    stored: dict[uuid.UUID, Stored]
    signals: dict[int, dict[tuple[str, str], float]]
    computing: dict[int, asyncio.Future[Computed]] = field(default_factory=dict)

    def start(
        self, index: int, scorer: Scorer, cosines: dict[uuid.UUID, np.ndarray], now: datetime
    ) -> None:
        """Start computing the `index`th full fund in a thread (nothing past the last)."""
        if index >= len(self.full):
            return
        p = self.full[index]
        assert p.facts is not None
        self.computing[p.item.id] = asyncio.ensure_future(asyncio.to_thread(
            compute_full, scorer, p.facts, cosines.get(p.facts.id), self.pinned[p.item.fund_id],
            self.signals[p.item.id], now, self.stored[p.item.fund_id],
        ))  # fmt: skip


async def _load_chunk(
    transaction: Transaction, scorer: Scorer, items: Sequence[Item], now: datetime
) -> Chunk:
    """One transaction: each fund, and the pinned LPs, stored matches and signal of full ones."""
    async with transaction() as conn:
        prepared = await prepare(conn, scorer, items, now)
        full = [p for p in prepared if p.facts is not None and p.item.lp_ids is None]
        funds = [p.item.fund_id for p in full]
        pinned = await queries.pinned_lps_of(conn, fund_ids=funds)
        stored = await bulk_queries.stored_matches_of(conn, fund_ids=funds)
        signals = {p.item.id: await scorer.signal(conn, p.facts.strategy) for p in full if p.facts}
        if full:
            await scorer.full_base(conn)
    return Chunk(prepared, full, pinned, stored, signals)


async def score_chunk(
    transaction: Transaction,
    scorer: Scorer,
    items: Sequence[Item],
    *,
    worker: str,
    now: datetime,
    guard: Callable[[Item, Callable[[], Awaitable[bool]]], Awaitable[None]],
) -> set[int]:
    """Score a chunk of fund items (each through `guard`); the ids of those finished.

    Funds scored against every LP are pipelined: while one fund's rows are written, the next
    fund's are computed in a thread (the CPU work and the database's overlap).
    """
    finished: set[int] = set()
    chunk = await _load_chunk(transaction, scorer, items, now)
    cosines = await similarities(transaction, scorer, chunk.prepared)
    computing = chunk.computing
    chunk.start(0, scorer, cosines, now)
    position = {p.item.id: n for n, p in enumerate(chunk.full)}
    try:
        for p in chunk.prepared:
            if p.item.id in computing:

                async def write(p: Prepared = p) -> bool:
                    computed = await computing.pop(p.item.id)
                    chunk.start(position[p.item.id] + 1, scorer, cosines, now)
                    return await write_item(transaction, p, computed, worker=worker)

                await guard(p.item, write)
            else:
                await guard(
                    p.item,
                    partial(score_item, transaction, scorer, p, cosines,
                            worker=worker, now=now),
                )  # fmt: skip
            finished.add(p.item.id)
    finally:
        for pending in computing.values():
            pending.cancel()
    return finished
