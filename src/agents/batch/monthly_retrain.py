"""Monthly retrain (1st of the month, 03:00 UTC): blend weights, collaborative signal, report.

Usage: python -m src.agents.batch.monthly_retrain [--dry-run] [--since TIME] [--limit N]
       [--fund ID] [--progress auto|bar|json]
       python -m src.agents.batch.monthly_retrain --rollback

New blend weights are adopted only when they beat the current ones on held-out data by
RETRAIN_MARGIN (AUC); the previous version is kept, and --rollback makes it active again. With
fewer than RETRAIN_MIN_SAMPLES labelled matches nothing changes. The collaborative signal only
uses segments with outcomes from at least COLLABORATIVE_MIN_ORGS organisations and holds no
organisation's identity. Exit code 1 when the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from src.agents.batch import retrain
from src.agents.batch.cli import parser, with_pool
from src.config import Settings, get_settings
from src.db.queries import batch as queue
from src.db.queries import matches as match_queries
from src.db.queries import retrain as queries
from src.db.tenancy import Pool, service_transaction
from src.services import weights

STALE_AFTER = timedelta(hours=2)
MIN_PER_CLASS = 10


@dataclass(frozen=True)
class RetrainConfig:
    """The retrain's knobs (from settings)."""

    min_samples: int = 60
    folds: int = 5
    margin: float = 0.02
    min_orgs: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrainConfig:
        """The knobs as configured."""
        return cls(settings.retrain_min_samples, settings.retrain_folds, settings.retrain_margin,
                   settings.collaborative_min_orgs)  # fmt: skip


@dataclass
class RetrainResult:
    """What a retrain decided."""

    decision: str
    message: str
    metrics: dict[str, Any]
    new_version: int | None = None
    run_id: uuid.UUID | None = None


def _decide(fit: retrain.Fit, current: dict[str, float], margin: float) -> tuple[str, str]:
    same = all(abs(fit.weights[c] - float(current.get(c, 0))) < 1e-9 for c in retrain.COMPONENTS)
    if same:
        return "kept", "The current blend weights are already the best fit."
    if not np.isfinite(fit.improvement) or fit.improvement < margin:
        return "kept", (f"New weights would not beat the current ones by {margin:.3f} AUC"
                        f" on held-out data ({fit.new_auc:.3f} against"
                        f" {fit.current_auc:.3f}).")  # fmt: skip
    return "adopted", (f"New weights beat the current ones on held-out data: AUC"
                       f" {fit.new_auc:.3f} against {fit.current_auc:.3f}.")  # fmt: skip


def _evaluate(
    rows: list[tuple[Any, list[float | None], bool]],
    current: dict[str, float],
    config: RetrainConfig,
) -> tuple[str, str, dict[str, Any], retrain.Fit | None]:
    """The decision, its message, the fit's metrics and the fit (None: too few outcomes)."""
    labels = np.array([r[2] for r in rows], dtype=np.bool_)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if len(rows) < config.min_samples or min(positives, negatives) < MIN_PER_CLASS:
        message = (
            f"Too few outcomes to retrain: {len(rows)} labelled matches ({positives}"
            f" positive, {negatives} negative); at least {config.min_samples}, with"
            f" {MIN_PER_CLASS} of each, are needed. Nothing changed."
        )
        return "insufficient_data", message, {}, None
    features = np.array([[np.nan if v is None else v for v in r[1]] for r in rows],
                        dtype=np.float64)  # fmt: skip
    fit = retrain.fit(features, labels, current, folds=config.folds)
    decision, message = _decide(fit, current, config.margin)
    metrics = {"held_out_auc_current": round(fit.current_auc, 4),
               "held_out_auc_new": round(fit.new_auc, 4), "fold_gains": fit.fold_gains,
               "proposed_weights": fit.weights, "folds": config.folds,
               "margin": config.margin}  # fmt: skip
    return decision, message, metrics, fit


async def retrain_weights(
    pool: Pool,
    config: RetrainConfig,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    fund: uuid.UUID | None = None,
    dry_run: bool = False,
) -> RetrainResult:
    """Fit, compare, adopt or keep; recompute the collaborative signal; report."""
    async with service_transaction(pool, statement_timeout="10min") as conn:
        run_id = None if dry_run else await _start(conn)
        rows = await queries.labelled_matches(conn, since=since, fund=fund, limit=limit)
        current = await match_queries.active_weights(conn, "blend")
        assert current is not None, "no active blend weights"
        signals = [] if dry_run else await queries.replace_signals(conn, min_orgs=config.min_orgs)
        decision, message, fitted, fit = _evaluate(rows, current.weights, config)
        metrics: dict[str, Any] = {"current_weights": current.weights,
                                   "signal_segments": len(signals), **fitted}  # fmt: skip
        new_version = None
        if fit is not None and decision == "adopted" and not dry_run:
            new_version = await weights.store(
                conn, "blend", fit.weights, metrics=metrics,
                notes=f"Monthly retrain: held-out AUC {fit.new_auc:.3f} (was"
                      f" {fit.current_auc:.3f}) on {len(rows)} outcomes.",
            )  # fmt: skip
            await weights.activate(conn, None, new_version)
        if run_id is not None:
            positives = sum(1 for r in rows if r[2])
            await queries.insert_report(
                conn, run_id=run_id, decision=decision, samples=len(rows), positives=positives,
                organisations=len({r[0] for r in rows}), current_version=current.version,
                new_version=new_version, metrics=metrics, message=message,
            )  # fmt: skip
            await queue.finish_run(
                conn, run_id, status="succeeded", counts={"samples": len(rows),
                "positives": positives, "signal_segments": len(signals), "decision": decision},
                errors=[], tokens=0, cost=0.0, summary=message,
            )  # fmt: skip
    return RetrainResult(decision, message, metrics, new_version, run_id)


async def _start(conn: Any) -> uuid.UUID:
    """A retrain run; a retrain already running (and alive) stops this one."""
    await queue.lock_job(conn, "monthly_retrain")
    current = await queue.running(conn, "monthly_retrain")
    if current is not None:
        if datetime.now(current.heartbeat_at.tzinfo) - current.heartbeat_at < STALE_AFTER:
            raise RuntimeError(f"a retrain is already running (run {current.id})")
        await queue.finish_run(conn, current.id, status="failed", counts={}, tokens=0, cost=0.0,
                               errors=[{"error": "abandoned: no heartbeat"}],
                               summary="Abandoned: its worker stopped.")  # fmt: skip
    return await queue.insert_run(conn, job="monthly_retrain", params={}, deadline_at=None,
                                  since=None, phase="retrain")  # fmt: skip


async def rollback(pool: Pool) -> RetrainResult:
    """Make the blend weights the last adoption replaced active again."""
    async with service_transaction(pool) as conn:
        last = await queries.last_adoption(conn)
        if last is None:
            return RetrainResult("none", "No adopted retrain to roll back.", {})
        previous, adopted = last
        await weights.activate(conn, None, previous)
        message = f"Rolled back blend weights v{adopted} to v{previous}."
        await queries.insert_report(
            conn, run_id=None, decision="rolled_back", samples=0, positives=0, organisations=0,
            current_version=adopted, new_version=previous, metrics={}, message=message,
        )  # fmt: skip
    return RetrainResult("rolled_back", message, {}, previous)


def main(argv: list[str] | None = None) -> int:
    """Retrain (or roll back) and print what was decided."""
    p: argparse.ArgumentParser = parser("src.agents.batch.monthly_retrain", __doc__ or "")
    p.add_argument("--rollback", action="store_true",
                   help="make the blend weights before the last adoption active again")  # fmt: skip
    args = p.parse_args(argv)
    settings = get_settings()

    async def body(pool: Pool) -> int:
        if args.rollback:
            result = await rollback(pool)
        else:
            try:
                result = await retrain_weights(
                    pool, RetrainConfig.from_settings(settings), since=args.since,
                    limit=args.limit, fund=args.fund, dry_run=args.dry_run,
                )  # fmt: skip
            except RuntimeError as exc:
                sys.stderr.write(f"{exc}\n")
                return 1
        line = {"decision": result.decision, "message": result.message,
                "new_version": result.new_version, **result.metrics}  # fmt: skip
        sys.stdout.write(json.dumps(line, default=str) + "\n")
        return 1 if result.decision == "none" else 0

    return asyncio.run(with_pool(settings, body))


if __name__ == "__main__":
    raise SystemExit(main())
