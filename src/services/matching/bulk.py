"""The matching rules as array operations, for scoring many funds against the whole LP base.

`rules.py` states the rules as SQL for one fund at a time (a page view, a publish). The batch
scores every fund each night, so here the LP base is loaded once into arrays (one row per LP:
set memberships as boolean matrices, sizes as floats with NaN for "no data", mandate vectors as
one float32 matrix) and each fund is a handful of vector operations over all LPs. The two
implementations must agree: tests run both on the same markets and compare every stored row.

The order of the best matches is the same as the SQL's: final score, then LP id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from src.services.matching.lp_base import LP_COLUMNS, Bools, Floats, LpBase
from src.services.matching.rules import (
    CHECK_SHARE_CEILING,
    CHECK_SHARE_IDEAL,
    DEFAULT_SIMILARITY_RANGE,
    FACTORS,
    HARD_FILTER_LABELS,
    NO_DATA_SCORE,
    SIMILARITY_RANGE,
    FundFacts,
)
from src.services.taxonomy import geography_match_set


@dataclass
class FundScores:
    """One fund scored against every LP of a base."""

    fund: FundFacts
    passes: Bools
    failed: dict[str, Bools]
    factors: dict[str, Floats]
    similarity: Floats
    collaborative: Floats
    final: Floats
    passing: int


def _any_of(matrix: Bools, codes: dict[str, int], wanted: Sequence[str]) -> Bools:
    columns = [codes[c] for c in wanted if c in codes]
    if not columns:
        return np.zeros(matrix.shape[0], dtype=np.bool_)
    return np.asarray(matrix[:, columns].any(axis=1))


def _filters(base: LpBase, fund: FundFacts) -> dict[str, Bools]:
    target = fund.target_size_musd
    with np.errstate(invalid="ignore"):
        strategy = ~base.has_strategies | _any_of(
            base.strategies, base.strategy_codes, fund.strategy_set
        )
        if fund.geographies and "global" not in fund.geographies:
            wanted = geography_match_set(fund.geographies)
            geography = ~base.has_geographies | _any_of(
                base.geographies, base.geography_codes, wanted
            )
        else:
            geography = np.ones(len(base), dtype=np.bool_)
        fund_size = (np.isnan(base.fund_min) | (base.fund_min <= target)) & (
            np.isnan(base.fund_max) | (base.fund_max >= target)
        )
        track = np.isnan(base.min_track) | (base.min_track <= fund.track_years)
        esg = np.ones(len(base), dtype=np.bool_) if fund.has_esg_policy else base.esg != 1.0
    return {
        "active": base.active,
        "strategy": strategy,
        "geography": geography,
        "fund_size": fund_size,
        "track_record": track,
        "esg": esg,
    }


def _sector(base: LpBase, fund: FundFacts) -> Floats:
    nan = np.full(len(base), np.nan)
    if not fund.sectors:
        return nan
    covered = np.zeros(len(base), dtype=np.float64)
    for sector in fund.sectors:
        code = base.sector_codes.get(sector)
        if code is not None:
            covered += base.sectors[:, code]
    score = 100.0 * covered / len(fund.sectors)
    return np.where(base.has_sectors, score, nan)


def _size(base: LpBase, fund: FundFacts) -> Floats:
    target = float(fund.target_size_musd)
    lo, hi = base.fund_min, base.fund_max
    with np.errstate(invalid="ignore", divide="ignore"):
        centrality = np.full(len(base), np.nan)
        if target > 0:
            ranged = (lo > 0) & (hi > lo)
            value = 100.0 * (1 - np.abs(2 * np.log(target / lo) / np.log(hi / lo) - 1))
            centrality = np.where(ranged, np.clip(value, 0.0, 100.0), centrality)
        point = (lo > 0) & (hi == lo)
        centrality = np.where(point, 100.0, centrality)
        cmin, cmax = base.check_min, base.check_max
        typical = np.where(
            (cmin > 0) & (cmax > 0), np.sqrt(cmin * cmax), np.where(np.isnan(cmax), cmin, cmax)
        )
        share = typical / target if target != 0 else np.full(len(base), np.nan)
        low, high = CHECK_SHARE_IDEAL
        falling = np.maximum(0.0, 100.0 * (1 - (share - high) / (CHECK_SHARE_CEILING - high)))
        cheque = np.where(share < low, 100.0 * share / low, np.where(share <= high, 100.0, falling))
        cheque = np.where(np.isnan(share), np.nan, cheque)
    both = (centrality + cheque) / 2
    return np.where(np.isnan(centrality), cheque, np.where(np.isnan(cheque), centrality, both))


def _track_record(base: LpBase, fund: FundFacts) -> Floats:
    margin = np.minimum(100.0, 60.0 + 10.0 * (fund.track_years - base.min_track))
    performance = fund.performance_score
    if performance is None:
        return np.where(np.isnan(base.min_track), np.nan, margin)
    perf = round(performance, 4)
    return np.where(np.isnan(base.min_track), perf, (margin + perf) / 2)


def _esg(base: LpBase, fund: FundFacts) -> Floats:
    otherwise = 80.0 if fund.has_esg_policy else 60.0
    return np.where(np.isnan(base.esg), np.nan, np.where(base.esg == 1.0, 100.0, otherwise))


def similarity(base: LpBase, fund: FundFacts) -> Floats:
    """Cosine of each LP's mandate vector with the fund's thesis (NaN without a vector)."""
    nan = np.full(len(base), np.nan)
    if fund.thesis_vector is None or base.vectors is None or fund.model != base.model:
        return nan
    thesis = np.asarray(fund.thesis_vector, dtype=np.float32)
    if thesis.shape[0] != base.vectors.shape[1]:
        return nan
    dots = (base.vectors @ thesis).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = dots / (base.norms * float(np.linalg.norm(thesis.astype(np.float64))))
    return np.where(base.has_vector, cosine, nan)


def _semantic(fund: FundFacts, cosine: Floats) -> Floats:
    low, high = SIMILARITY_RANGE.get(fund.model, DEFAULT_SIMILARITY_RANGE)
    return np.clip(100.0 * (cosine - low) / (high - low), 0.0, 100.0)


def final_scores(
    factors: dict[str, Floats],
    collaborative: Floats,
    rule_weights: dict[str, float],
    blend_weights: dict[str, float],
) -> Floats:
    """The final score each LP is ranked by (the SQL's `order by` of `engine._order`)."""
    rule = np.zeros_like(collaborative)
    for name in FACTORS:
        values = factors[name]
        rule = rule + float(rule_weights.get(name, 0)) / 100 * np.where(
            np.isnan(values), NO_DATA_SCORE, values
        )
    return blended(rule, factors["semantic"], collaborative, blend_weights)


def blended(
    rule: Floats, semantic: Floats, collaborative: Floats, weights: dict[str, float]
) -> Floats:
    """Rule, meaning and collaborative components, each weighted where present."""
    wr = float(weights.get("rule", 0))
    ws = float(weights.get("semantic", 0))
    wc = float(weights.get("collaborative", 0))
    has_s = ~np.isnan(semantic)
    has_c = ~np.isnan(collaborative)
    total = wr + np.where(has_s, ws, 0.0) + np.where(has_c, wc, 0.0)
    weighted = (
        wr * rule
        + np.where(has_s, ws * np.nan_to_num(semantic), 0.0)
        + np.where(has_c, wc * np.nan_to_num(collaborative), 0.0)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / total, rule)


def collaborative_scores(
    base: LpBase, fund: FundFacts, signal: dict[tuple[str, str], float]
) -> Floats:
    """The response rate (0–100) of each LP's segment to the fund's segment (NaN when unknown)."""
    scores = np.full(len(base), np.nan)
    family = fund.strategy.split("/")[0]
    for (lp_type, strategy), rate in signal.items():
        if strategy == family:
            scores[base.lp_types == lp_type] = rate
    return scores


def score_fund(
    base: LpBase,
    fund: FundFacts,
    *,
    rule_weights: dict[str, float],
    blend_weights: dict[str, float],
    signal: dict[tuple[str, str], float] | None = None,
    cosine: Floats | None = None,
) -> FundScores:
    """Every hard filter, factor and final score of one fund against every LP of the base.

    `cosine` holds the thesis similarities when they were computed for many funds at once.
    """
    failed = {name: ~ok for name, ok in _filters(base, fund).items()}
    passes = ~np.logical_or.reduce(list(failed.values())) if len(base) else np.zeros(0, bool)
    if cosine is None:
        cosine = similarity(base, fund)
    factors = {
        "sector": _sector(base, fund),
        "size": _size(base, fund),
        "track_record": _track_record(base, fund),
        "esg": _esg(base, fund),
        "semantic": _semantic(fund, cosine),
    }
    collaborative = collaborative_scores(base, fund, signal or {})
    final = final_scores(factors, collaborative, rule_weights, blend_weights)
    return FundScores(
        fund=fund,
        passes=passes,
        failed=failed,
        factors=factors,
        similarity=cosine,
        collaborative=collaborative,
        final=final,
        passing=int(passes.sum()),
    )


def best(scores: FundScores, keep: int, *, order_keys: npt.NDArray[np.int64]) -> list[int]:
    """Rows of the best `keep` passing LPs: highest final score, then lowest LP id."""
    candidates = np.flatnonzero(scores.passes)
    if candidates.size > keep * 4:
        # Partition first: sorting 100k rows per fund costs more than scoring them.
        threshold = np.partition(scores.final[candidates], -keep)[-keep]
        candidates = candidates[scores.final[candidates] >= threshold]
    ordered = candidates[np.lexsort((order_keys[candidates], -scores.final[candidates]))]
    return [int(i) for i in ordered[:keep]]


def candidate_row(
    base: LpBase, scores: FundScores, row: int, *, pinned: bool = False
) -> dict[str, Any]:
    """One LP's scored row, shaped like `queries.score_candidates` returns it."""
    values = dict(zip(LP_COLUMNS, base.rows[row][: len(LP_COLUMNS)], strict=True))
    for name in FACTORS:
        value = scores.factors[name][row]
        values[name] = None if np.isnan(value) else float(value)
    cosine = scores.similarity[row]
    values["similarity"] = None if np.isnan(cosine) else float(cosine)
    collaborative = scores.collaborative[row]
    values["collaborative"] = None if np.isnan(collaborative) else float(collaborative)
    values["passing"] = scores.passing
    if pinned:
        values["failed"] = [name for name in HARD_FILTER_LABELS if scores.failed[name][row]]
    return values
