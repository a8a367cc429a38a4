"""Fit the final-score blend weights from what happened: outcomes and GP feedback.

Each labelled match has up to four components (rule, semantic, debate, collaborative; missing
ones are left out of its blend, as the product scores it) and a label: committed, or a thumbs up
with no outcome yet, is 1; a decline, no response, or a thumbs down is 0. A weight set is good
when it ranks the 1s above the 0s, so it is measured by AUC (the chance that a random 1 scores
above a random 0).

The blend is a weighted mean, so only the direction of the weights matters: the fit searches
every weight set on a 5-point grid summing to 100 (1,771 sets), which finds the best ranking
exactly where a logistic regression would only approximate it, and keeps the product's own
missing-component rule. The search is cross-validated: in each of k folds the best set on the
training part is scored on the held-out part against the current weights. New weights are
adopted only when they beat the current ones by `margin` held-out AUC on average.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Final

import numpy as np
import numpy.typing as npt

COMPONENTS: Final = ("rule", "semantic", "debate", "collaborative")
STEP: Final = 5
Floats = npt.NDArray[np.float64]


def grid(step: int = STEP) -> Floats:
    """Every weight set on the grid: non-negative multiples of `step` summing to 100."""
    n = 100 // step
    sets = [
        (a, b, c, n - a - b - c) for a, b, c in product(range(n + 1), repeat=3) if a + b + c <= n
    ]
    return np.array(sets, dtype=np.float64) * step


def blend_all(features: Floats, weights: Floats) -> Floats:
    """Each match's blended score under each weight set (rows: matches, columns: sets).

    A missing component (NaN) is left out and the others' weights rescaled, as
    `explain.blend` does; with no weighted component present the rule score stands.
    """
    present = ~np.isnan(features)
    values = np.nan_to_num(features)
    weighted = values @ weights.T
    total = present.astype(np.float64) @ weights.T
    rule = np.repeat(values[:, :1], weights.shape[0], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / total, rule)


def auc(scores: Floats, labels: npt.NDArray[np.bool_]) -> Floats:
    """AUC of each column of scores (ties count half)."""
    positives = scores[labels]
    negatives = np.sort(scores[~labels], axis=0)
    if positives.shape[0] == 0 or negatives.shape[0] == 0:
        return np.full(scores.shape[1], np.nan)
    out = np.empty(scores.shape[1])
    for j in range(scores.shape[1]):
        below = np.searchsorted(negatives[:, j], positives[:, j], side="left")
        upto = np.searchsorted(negatives[:, j], positives[:, j], side="right")
        out[j] = (below.sum() + 0.5 * (upto - below).sum()) / (
            positives.shape[0] * negatives.shape[0]
        )
    return out


def _best(aucs: Floats, candidates: Floats, current: Floats) -> int:
    """The highest AUC; among equals, the set closest to the current weights (stability)."""
    top = np.nanmax(aucs)
    tied = np.flatnonzero(aucs >= top - 1e-12)
    distance = np.abs(candidates[tied] - current).sum(axis=1)
    return int(tied[np.argmin(distance)])


@dataclass
class Fit:
    """What the cross-validated search found."""

    samples: int
    positives: int
    current_auc: float
    new_auc: float
    fold_gains: list[float]
    weights: dict[str, float]
    improvement: float = field(init=False)

    def __post_init__(self) -> None:
        self.improvement = self.new_auc - self.current_auc


def fit(
    features: Floats,
    labels: npt.NDArray[np.bool_],
    current: dict[str, float],
    *,
    folds: int = 5,
    seed: int = 0,
) -> Fit:
    """Cross-validate the grid search against the current weights; the set to adopt."""
    candidates = grid()
    now = np.array([[float(current.get(c, 0)) for c in COMPONENTS]])
    scores = blend_all(features, candidates)
    current_scores = blend_all(features, now)
    order = np.random.default_rng(seed).permutation(labels.shape[0])
    # Stratified folds: positives and negatives dealt out in turn.
    assignment = np.empty(labels.shape[0], dtype=np.int64)
    for cls in (True, False):
        members = order[labels[order] == cls]
        assignment[members] = np.arange(members.shape[0]) % folds
    new_aucs, cur_aucs = [], []
    for k in range(folds):
        train, test = assignment != k, assignment == k
        if labels[test].all() or not labels[test].any():
            continue
        chosen = _best(auc(scores[train], labels[train]), candidates, now[0])
        new_aucs.append(float(auc(scores[test][:, [chosen]], labels[test])[0]))
        cur_aucs.append(float(auc(current_scores[test], labels[test])[0]))
    final = _best(auc(scores, labels), candidates, now[0])
    return Fit(
        samples=int(labels.shape[0]),
        positives=int(labels.sum()),
        current_auc=float(np.mean(cur_aucs)) if cur_aucs else float("nan"),
        new_auc=float(np.mean(new_aucs)) if new_aucs else float("nan"),
        fold_gains=[round(n - c, 4) for n, c in zip(new_aucs, cur_aucs, strict=True)],
        weights={c: float(candidates[final][i]) for i, c in enumerate(COMPONENTS)},
    )
