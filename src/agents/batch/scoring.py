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

import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from src.agents.embeddings import EmbeddingProvider
from src.db.queries import bulk_matches as bulk_queries
from src.db.queries import matches as queries
from src.db.queries.bulk_matches import Stored, StoredMatch
from src.services.matching import bulk, lp_base
from src.services.matching.engine import (
    KEEP_PER_FUND,
    match_row,
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
    base: lp_base.LpBase | None = None
    order_keys: np.ndarray | None = None
    signals: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    subsets: dict[tuple[uuid.UUID, ...], lp_base.LpBase] = field(default_factory=dict)
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

    async def full_base(self, conn: Conn) -> lp_base.LpBase:
        """Every LP, loaded once per worker."""
        if self.base is None:
            self.base = await lp_base.load_lp_base(conn, model=self.embeddings.model)
            self.order_keys = lp_base.id_order(self.base)
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


def _rows(
    scorer: Scorer,
    base: lp_base.LpBase,
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


def _changed(rows: list[dict[str, Any]], stored: Stored) -> list[dict[str, Any]]:
    """Rows to write: new ones, expired ones, and valid undebated ones whose score moved."""
    return [r for r in rows if not _unchanged(stored.get(r["lp_org_id"]), float(r["score"]))]


@dataclass
class Computed:
    """A fund's rows that may need writing (computed off the event loop), and every LP kept."""

    rows: list[dict[str, Any]]
    keep: list[uuid.UUID]
    passing: int


def _unchanged(stored: StoredMatch | None, final: float) -> bool:
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


async def write_full(
    conn: Conn, fund_id: uuid.UUID, computed: Computed, stored: Stored | None = None
) -> dict[str, int]:
    """Write a fund's rows that changed and drop the ones that fell out.

    `stored` is the fund's stored matches when read in this transaction; otherwise (the rows
    were computed from an earlier read) they are read again here.
    """
    if stored is None:
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
    pinned = await queries.pinned_lps(conn, fund_id=fund.id)
    signal = await scorer.signal(conn, fund.strategy)
    stored = await bulk_queries.stored_matches(conn, fund_id=fund.id)
    computed = compute_full(scorer, fund, cosine, pinned, signal, now, stored)
    return await write_full(conn, fund.id, computed, stored)


async def score_subset(
    conn: Conn, scorer: Scorer, fund: FundFacts, lp_ids: Sequence[uuid.UUID], now: datetime
) -> dict[str, int]:
    """Score only these LPs against the fund and merge them into its stored best."""
    key = tuple(sorted(lp_ids))
    if key not in scorer.subsets:
        scorer.subsets[key] = await lp_base.load_lp_base(conn, model=scorer.embeddings.model,
                                                      only=key)  # fmt: skip
    base = scorer.subsets[key]
    scores = bulk.score_fund(
        base, fund, rule_weights=scorer.rule_w.weights, blend_weights=scorer.blend_w.weights,
        signal=await scorer.signal(conn, fund.strategy),
    )  # fmt: skip
    stored = await bulk_queries.stored_matches(conn, fund_id=fund.id)
    pinned = await queries.pinned_lps(conn, fund_id=fund.id)
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
