"""The score phase: rule scores of funds against LPs, vectorised, written per (fund, LP).

A worker loads the LP base once (arrays and one float32 matrix of mandate vectors), then takes
funds a chunk at a time: one matrix product gives the chunk's thesis similarities, each fund's
filters and factors are array operations over every LP, and only the best `keep` (plus the LPs
the organisation acted on) get a breakdown and reasons. A fund's rows are written with COPY and
one upsert, its stale rows removed, and its item marked done, all in one transaction.

Rows that are stored, valid and unchanged are not rewritten; a valid debated match stands (as
in `engine.compute_matches`).

An item may name only some LPs (the incremental job's changed LPs): those are scored and merged
into the fund's stored best; when that could open a place for an LP outside both sets, the fund
is rescored against every LP instead.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from src.agents.embeddings import EmbeddingProvider
from src.db.queries import batch as queue
from src.db.queries import batch_plan
from src.db.queries import bulk_matches as bulk_queries
from src.db.queries import matches as queries
from src.db.queries.batch import Item
from src.errors import NotFound
from src.services.matching import bulk
from src.services.matching.engine import (
    KEEP_PER_FUND,
    FundRecord,
    facts_for,
    load_fund,
    match_row,
    thesis_vector,
)
from src.services.matching.rules import FundFacts

logger = logging.getLogger(__name__)
Conn = AsyncConnection[TupleRow]
Transaction = Callable[[], AbstractAsyncContextManager[Conn]]


@dataclass
class Scorer:
    """What one worker keeps between items: weights, signals and the LP base."""

    embeddings: EmbeddingProvider
    rule_w: queries.Weights
    blend_w: queries.Weights
    keep: int = KEEP_PER_FUND
    base: bulk.LpBase | None = None
    order_keys: np.ndarray | None = None
    signals: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    subsets: dict[tuple[uuid.UUID, ...], bulk.LpBase] = field(default_factory=dict)
    # Known commitments per LP and strategy, loaded with the base (for the reasons).
    commitments: dict[uuid.UUID, dict[str, int]] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, conn: Conn, embeddings: EmbeddingProvider, *, keep: int = KEEP_PER_FUND
    ) -> Scorer:
        """The active weights (the LP base is loaded by the first item that needs it)."""
        rule_w = await queries.active_weights(conn, "rule")
        blend_w = await queries.active_weights(conn, "blend")
        if rule_w is None or blend_w is None:
            raise RuntimeError("no active scoring weights: a platform admin must set them")
        return cls(embeddings=embeddings, rule_w=rule_w, blend_w=blend_w, keep=keep)

    async def full_base(self, conn: Conn) -> bulk.LpBase:
        """Every LP, loaded once per worker."""
        if self.base is None:
            self.base = await bulk.load_lp_base(conn, model=self.embeddings.model)
            self.order_keys = bulk.id_order(self.base)
            self.commitments = await bulk_queries.commitments_by_strategy(conn)
        return self.base

    def commitments_for(
        self, lps: Sequence[uuid.UUID], strategies: list[str]
    ) -> dict[uuid.UUID, int]:
        """Known commitments of each LP to these strategies (as `queries.commitments_in`)."""
        out = {}
        for lp in lps:
            known = self.commitments.get(lp)
            if known:
                count = sum(known.get(s, 0) for s in strategies)
                if count:
                    out[lp] = count
        return out

    async def signal(self, conn: Conn, strategy: str) -> dict[tuple[str, str], float]:
        """The collaborative signal for a strategy's family, as (LP type, family) → 0–100."""
        family = strategy.split("/")[0]
        if family not in self.signals:
            rates = await queries.collaborative_signal(conn, strategy)
            self.signals[family] = {(t, family): r for t, r in rates.items()}
        return self.signals[family]


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


def _rows(
    scorer: Scorer,
    base: bulk.LpBase,
    scores: bulk.FundScores,
    chosen: Sequence[int],
    pinned: set[uuid.UUID],
    commitments: dict[uuid.UUID, int],
    now: datetime,
) -> list[dict[str, Any]]:
    out = []
    for i in chosen:
        lp = base.ids[i]
        row = bulk.candidate_row(base, scores, i, pinned=lp in pinned and not scores.passes[i])
        out.append(match_row(scores.fund, row, commitments, scorer.rule_w, scorer.blend_w, now))
    return out


def _changed(
    rows: list[dict[str, Any]], stored: dict[uuid.UUID, tuple[float, bool, bool]]
) -> list[dict[str, Any]]:
    """Rows to write: new ones, expired ones, and valid undebated ones whose score moved."""
    out = []
    for r in rows:
        before = stored.get(r["lp_org_id"])
        if before is None or not before[1]:
            out.append(r)
        elif not before[2] and abs(before[0] - float(r["score"])) >= 0.005:
            out.append(r)
    return out


@dataclass
class Computed:
    """A fund's rows that may need writing (computed off the event loop), and every LP kept."""

    rows: list[dict[str, Any]]
    keep: list[uuid.UUID]
    passing: int


Stored = dict[uuid.UUID, tuple[float, bool, bool]]


def _unchanged(stored: tuple[float, bool, bool] | None, final: float) -> bool:
    """A stored row that is valid and either debated (it stands) or scored the same.

    `final` is the unrounded blend; the stored score differs from the exact new one by less
    than 0.005 when this says unchanged, so no real change is skipped.
    """
    if stored is None or not stored[1]:
        return False
    return stored[2] or abs(stored[0] - final) < 0.005


def compute_full(
    scorer: Scorer,
    fund: FundFacts,
    cosine: np.ndarray | None,
    pinned: set[uuid.UUID],
    signal: dict[tuple[str, str], float],
    now: datetime,
    stored: Stored,
) -> Computed:
    """Score a fund against every LP and build its best rows (CPU only: runs in a thread).

    Rows stored, valid and unchanged are not rebuilt: on a quiet night most are.
    """
    base = scorer.base
    assert base is not None and scorer.order_keys is not None
    scores = bulk.score_fund(
        base, fund, rule_weights=scorer.rule_w.weights, blend_weights=scorer.blend_w.weights,
        signal=signal, cosine=cosine,
    )  # fmt: skip
    chosen = bulk.best(scores, scorer.keep, order_keys=scorer.order_keys)
    kept = {base.ids[i] for i in chosen}
    extra = [base.index[lp] for lp in sorted(pinned - kept) if lp in base.index]
    rows_at = [*chosen, *extra]
    build = [i for i in rows_at if not _unchanged(stored.get(base.ids[i]), scores.final[i])]
    commitments = scorer.commitments_for([base.ids[i] for i in build], fund.strategy_set)
    return Computed(
        _rows(scorer, base, scores, build, pinned, commitments, now),
        [base.ids[i] for i in rows_at],
        scores.passing,
    )


async def write_full(conn: Conn, fund_id: uuid.UUID, computed: Computed) -> dict[str, int]:
    """Write a fund's rows that changed and drop the ones that fell out."""
    stored = await bulk_queries.stored_matches(conn, fund_id=fund_id)
    changed = _changed(computed.rows, stored)
    await bulk_queries.copy_matches(conn, changed)
    removed = await queries.remove_stale(conn, fund_id=fund_id, keep=computed.keep)
    return {"passing": computed.passing, "kept": len(computed.keep), "written": len(changed),
            "removed": removed}  # fmt: skip


async def score_full(
    conn: Conn, scorer: Scorer, fund: FundFacts, cosine: np.ndarray | None, now: datetime
) -> dict[str, int]:
    """Rescore a fund against every LP; write what changed and drop what fell out."""
    await scorer.full_base(conn)
    pinned = set(await queries.pinned_lps(conn, fund_id=fund.id))
    signal = await scorer.signal(conn, fund.strategy)
    stored = await bulk_queries.stored_matches(conn, fund_id=fund.id)
    computed = compute_full(scorer, fund, cosine, pinned, signal, now, stored)
    return await write_full(conn, fund.id, computed)


async def score_subset(
    conn: Conn, scorer: Scorer, fund: FundFacts, lp_ids: Sequence[uuid.UUID], now: datetime
) -> dict[str, int]:
    """Score only these LPs against the fund and merge them into its stored best."""
    key = tuple(sorted(lp_ids))
    if key not in scorer.subsets:
        scorer.subsets[key] = await bulk.load_lp_base(conn, model=scorer.embeddings.model,
                                                      only=key)  # fmt: skip
    base = scorer.subsets[key]
    scores = bulk.score_fund(
        base, fund, rule_weights=scorer.rule_w.weights, blend_weights=scorer.blend_w.weights,
        signal=await scorer.signal(conn, fund.strategy),
    )  # fmt: skip
    stored = await bulk_queries.stored_matches(conn, fund_id=fund.id)
    pinned = set(await queries.pinned_lps(conn, fund_id=fund.id))
    ranked_before = {lp: v[0] for lp, v in stored.items() if lp not in pinned}
    full = len(ranked_before) >= scorer.keep
    fresh = {base.ids[i]: float(scores.final[i]) for i in range(len(base)) if scores.passes[i]}
    lost = [lp for lp in key if lp in ranked_before and fresh.get(lp, -1.0) < ranked_before[lp]]
    if full and lost:
        # A stored LP lost ground in a full list: the place it leaves may belong to an LP
        # outside both sets, which only a rescoring against every LP finds.
        return await score_full(conn, scorer, fund, None, now) | {"escalated": 1}
    combined = {lp: s for lp, s in ranked_before.items() if lp not in key} | {
        lp: s for lp, s in fresh.items() if lp not in pinned
    }
    best = sorted(combined, key=lambda lp: (-combined[lp], lp.bytes))[: scorer.keep]
    chosen = set(best)
    rows_at = [base.index[lp] for lp in key if lp in base.index and (lp in chosen or lp in pinned)]
    commitments = await queries.commitments_in(
        conn, lp_ids=[base.ids[i] for i in rows_at], strategies=fund.strategy_set
    )
    rows = _rows(scorer, base, scores, rows_at, pinned, commitments, now)
    changed = _changed(rows, stored)
    await bulk_queries.copy_matches(conn, changed)
    gone = [lp for lp in stored if lp not in pinned and lp not in chosen]
    removed = await bulk_queries.remove_matches(conn, fund_id=fund.id, lps=gone)
    return {"kept": len(rows), "written": len(changed), "removed": removed}


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
    async with transaction() as conn:
        prepared = await prepare(conn, scorer, items, now)
        full = [p for p in prepared if p.facts is not None and p.item.lp_ids is None]
        funds = [p.item.fund_id for p in full]
        pinned = await queries.pinned_lps_of(conn, fund_ids=funds)
        stored = await bulk_queries.stored_matches_of(conn, fund_ids=funds)
        signals = {p.item.id: await scorer.signal(conn, p.facts.strategy) for p in full if p.facts}
        if full:
            await scorer.full_base(conn)
    cosines = await similarities(transaction, scorer, prepared)
    computing: dict[int, asyncio.Future[Computed]] = {}

    def start(index: int) -> None:
        if index < len(full):
            p = full[index]
            assert p.facts is not None
            computing[p.item.id] = asyncio.ensure_future(asyncio.to_thread(
                compute_full, scorer, p.facts, cosines.get(p.facts.id),
                pinned[p.item.fund_id], signals[p.item.id], now, stored[p.item.fund_id],
            ))  # fmt: skip

    start(0)
    position = {p.item.id: n for n, p in enumerate(full)}
    try:
        for p in prepared:
            if p.item.id in computing:

                async def write(p: Prepared = p) -> bool:
                    computed = await computing.pop(p.item.id)
                    start(position[p.item.id] + 1)
                    return await write_item(transaction, p, computed,
                                                    worker=worker)  # fmt: skip

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
