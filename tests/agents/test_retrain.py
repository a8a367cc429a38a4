"""The monthly retrain: adopt only a real improvement, keep the old version, roll back."""

from __future__ import annotations

import json

import numpy as np
import psycopg

from src.agents.batch import monthly_retrain, retrain
from src.agents.batch.monthly_retrain import RetrainConfig, retrain_weights, rollback
from src.config import get_settings
from tests import factories as f
from tests.agents.batch_support import run_job, scalar


def active_blend(url: str) -> tuple[int, dict[str, float]]:
    with psycopg.connect(url) as conn:
        row = conn.execute("select version, weights from scoring_weights"
                           " where kind = 'blend' and is_active").fetchone()  # fmt: skip
    assert row is not None
    return row[0], row[1]


def seed_outcomes(url: str, *, n: int, signal: bool, seed: int = 11, orgs: int = 3) -> None:
    """`n` matches with outcomes; with `signal`, commitments follow the meaning-based score."""
    rng = np.random.default_rng(seed)
    with psycopg.connect(url, autocommit=True) as conn:
        funds = []
        for _ in range(orgs):
            gp = f.make_org(conn, is_gp=True)
            funds.append(f.make_fund(conn, org_id=gp, status="raising"))
        for i in range(n):
            rule, semantic = rng.uniform(20, 95, size=2)
            committed = (semantic + rng.normal(0, 8) > 62) if signal else rng.random() < 0.4
            lp = f.make_lp(conn)
            fund = funds[i % orgs]
            f.make_match(conn, fund_id=fund, lp_org_id=lp, score=round((rule + semantic) / 2, 2),
                         rule_score=round(rule, 2), semantic_score=round(semantic, 2))  # fmt: skip
            f.make_outcome(conn, fund_id=fund, lp_org_id=lp,
                           outcome="committed" if committed else "declined_after_meeting")  # fmt: skip


def test_the_grid_covers_every_weight_set_summing_to_100():
    sets = retrain.grid()
    assert sets.shape == (1771, 4) and np.all(sets.sum(axis=1) == 100) and sets.min() == 0


def test_blend_leaves_out_missing_components_like_the_product():
    features = np.array([[80.0, np.nan, np.nan, np.nan], [80.0, 40.0, np.nan, np.nan]])
    weights = np.array([[25.0, 25.0, 35.0, 15.0], [0.0, 0.0, 100.0, 0.0]])
    blended = retrain.blend_all(features, weights)
    assert blended[0].tolist() == [80.0, 80.0]  # only the rule score is known
    assert blended[1].tolist() == [60.0, 80.0]  # no weighted component present: the rule score


def test_auc_counts_ties_as_half():
    labels = np.array([True, False, True, False])
    assert retrain.auc(np.array([[4.0], [1.0], [3.0], [2.0]]), labels)[0] == 1.0
    assert retrain.auc(np.array([[1.0], [1.0], [1.0], [1.0]]), labels)[0] == 0.5


async def test_retrain_adopts_weights_that_follow_a_known_signal(empty_db, pool):
    seed_outcomes(empty_db.admin_url, n=240, signal=True)
    before, old = active_blend(empty_db.admin_url)
    result = await retrain_weights(pool, RetrainConfig())
    assert result.decision == "adopted", result.message
    version, weights = active_blend(empty_db.admin_url)
    assert version == result.new_version != before
    assert weights["semantic"] > weights["rule"] and sum(weights.values()) == 100
    assert result.metrics["held_out_auc_new"] >= result.metrics["held_out_auc_current"] + 0.02
    report = scalar(empty_db.admin_url, "select decision from retrain_reports")
    assert report == "adopted"
    # The previous version is kept for rollback; the new one records how it was chosen.
    assert scalar(empty_db.admin_url, "select weights from scoring_weights where version = %s",
                  (before,)) == old  # fmt: skip
    assert scalar(empty_db.admin_url, "select metrics ->> 'held_out_auc_new' from scoring_weights"
                  " where version = %s", (version,)) is not None  # fmt: skip
    assert scalar(empty_db.admin_url, "select count(*) from fund_lp_matches"
                  " where valid_until > now()") == 0, "new weights expire every score"  # fmt: skip

    rolled = await rollback(pool)
    assert rolled.decision == "rolled_back" and active_blend(empty_db.admin_url) == (before, old)
    assert (await rollback(pool)).decision == "none", "one adoption, one rollback"


async def test_retrain_refuses_on_noise_and_on_too_few_outcomes(empty_db, pool):
    seed_outcomes(empty_db.admin_url, n=30, signal=False)
    before = active_blend(empty_db.admin_url)
    few = await retrain_weights(pool, RetrainConfig())
    assert few.decision == "insufficient_data" and "Too few outcomes" in few.message
    assert active_blend(empty_db.admin_url) == before

    seed_outcomes(empty_db.admin_url, n=240, signal=False, seed=5)
    noise = await retrain_weights(pool, RetrainConfig())
    assert noise.decision == "kept", noise.message
    assert active_blend(empty_db.admin_url) == before
    assert scalar(empty_db.admin_url, "select count(*) from retrain_reports") == 2
    assert scalar(empty_db.admin_url, "select count(*) from batch_runs where"
                  " job = 'monthly_retrain' and status = 'succeeded'") == 2  # fmt: skip


async def test_collaborative_signal_needs_five_organisations_and_feeds_the_scores(empty_db, pool):
    url = empty_db.admin_url
    with psycopg.connect(url, autocommit=True) as conn:
        lps = [f.make_lp(conn, lp_type="endowment", geographies=[]) for _ in range(4)]
        pension = [f.make_lp(conn, lp_type="public_pension", geographies=[]) for _ in range(4)]
        for i in range(5):
            gp = f.make_org(conn, is_gp=True)
            fund = f.make_fund(conn, org_id=gp, status="raising",
                               strategy="private_equity/buyout", target_size_musd=500)  # fmt: skip
            f.make_outcome(conn, fund_id=fund, lp_org_id=lps[i % 4],
                           outcome="committed" if i < 3 else "no_response")  # fmt: skip
            if i < 4:  # only four organisations report on pensions
                f.make_outcome(conn, fund_id=fund, lp_org_id=pension[i], outcome="committed")
    result = await retrain_weights(pool, RetrainConfig(min_orgs=5))
    assert result.decision == "insufficient_data"
    with psycopg.connect(url) as conn:
        signals = conn.execute("select * from collaborative_signals").fetchall()
        columns = [d.name for d in conn.execute("select * from collaborative_signals").description]
    assert len(signals) == 1 and signals[0][:2] == ("endowment", "private_equity")
    assert not any("org" in name for name in columns), "no organisation ids"
    row = dict(zip(columns, signals[0], strict=True))
    assert row["contributors"] == 5 and row["samples"] == 5 and float(row["response_rate"]) == 0.6

    outcome = await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    assert outcome.run is not None and outcome.run.status == "succeeded"
    assert scalar(url, "select count(*) from fund_lp_matches where lp_org_id = any(%s)"
                  " and collaborative_score = 60", (lps,)) == 5 * 4  # fmt: skip
    assert scalar(url, "select count(*) from fund_lp_matches where lp_org_id = any(%s)"
                  " and collaborative_score is not null", (pension,)) == 0  # fmt: skip


def test_rollback_from_the_command_line(empty_db, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", empty_db.app_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert monthly_retrain.main(["--rollback"]) == 1
        out = json.loads(capsys.readouterr().out)
        assert out["decision"] == "none" and "No adopted retrain" in out["message"]
        assert monthly_retrain.main(["--dry-run"]) == 0
        assert json.loads(capsys.readouterr().out)["decision"] == "insufficient_data"
        assert scalar(empty_db.admin_url, "select count(*) from retrain_reports") == 0
    finally:
        get_settings.cache_clear()
