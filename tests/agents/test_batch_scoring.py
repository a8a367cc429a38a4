"""The nightly score phase: the vectorised rules give exactly the per-fund SQL engine's matches."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import psycopg
import pytest

from src.agents.embeddings import LocalEmbeddings
from src.db.tenancy import service_transaction
from src.services.matching import engine
from tests import factories as f
from tests.agents.batch_support import load_demo, matches, run_job, scalar


def active_funds(url: str) -> list:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "select id from funds where status in ('raising', 'first_close', 'pre_marketing',"
            " 'final_close') order by id").fetchall()]  # fmt: skip


async def engine_matches(pool, url: str) -> dict:
    """What the per-fund SQL engine stores for every active fund, from scratch."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("delete from fund_lp_matches where not exists (select 1 from pitches p"
                     " where p.match_id = fund_lp_matches.id)")  # fmt: skip
    for fund_id in active_funds(url):
        async with service_transaction(pool) as conn:
            await engine.compute_matches(
                conn, fund_id, embeddings=LocalEmbeddings(), now=datetime.now(UTC)
            )
    return matches(url)


async def test_nightly_scores_the_demo_market_exactly_as_the_engine(empty_db, pool):
    load_demo(empty_db.admin_url)
    outcome = await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    assert outcome.run is not None and outcome.run.status == "succeeded", outcome.run
    assert outcome.exit_code == 0
    nightly = matches(empty_db.admin_url)
    funds = active_funds(empty_db.admin_url)
    assert {fund for fund, _ in nightly} == set(funds)
    assert any(semantic is not None for _, semantic, _ in nightly.values())

    expected = await engine_matches(pool, empty_db.admin_url)
    assert set(nightly) == set(expected)
    for key, (score, semantic, label) in expected.items():
        got = nightly[key]
        assert got[0] == pytest.approx(score, abs=0.011), key
        assert (got[1] is None) == (semantic is None), key
        assert got[2] == label or abs(score - 60) < 0.02 or abs(score - 75) < 0.02, key
    assert outcome.run.counts["items"]["score"] == {"done": len(funds)}


async def test_a_second_nightly_rewrites_nothing_that_did_not_change(empty_db, pool):
    load_demo(empty_db.admin_url, lps=150, funds=6)
    first = await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    assert first.run is not None and first.run.counts["written"] > 0
    computed = scalar(empty_db.admin_url, "select max(computed_at) from fund_lp_matches")
    second = await run_job(pool, debates_per_fund=0, pitches_per_fund=0)
    assert second.run is not None and second.run.status == "succeeded"
    assert second.run.counts.get("written", 0) == 0
    assert scalar(empty_db.admin_url, "select max(computed_at) from fund_lp_matches") == computed


async def test_hand_built_market_keeps_exactly_the_best_passing_lps(empty_db, pool):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        gp = f.make_org(conn, is_gp=True)
        fund = f.make_fund(conn, org_id=gp, status="raising", strategy="private_equity/buyout",
                           target_size_musd=500, geographies=["europe"],
                           sectors=["software", "healthcare"], has_esg_policy=False)  # fmt: skip
        both = f.make_lp(conn, strategies=["private_equity"], sectors=["software", "healthcare"])
        one = f.make_lp(conn, strategies=["private_equity/buyout"], sectors=["software"])
        f.make_lp(conn, sectors=["energy"])  # passes, but covers none of the fund's sectors
        excluded = [
            f.make_lp(conn, is_active=False),
            f.make_lp(conn, strategies=["venture"]),
            f.make_lp(conn, geographies=["north_america"]),
            f.make_lp(conn, fund_size_min_musd=50, fund_size_max_musd=100),
            f.make_lp(conn, min_track_record_years=10),
            f.make_lp(conn, esg_required=True),
        ]
    outcome = await run_job(pool, keep=2, debates_per_fund=0, pitches_per_fund=0)
    assert outcome.run is not None and outcome.run.status == "succeeded"
    stored = matches(empty_db.admin_url)
    assert set(stored) == {(fund, both), (fund, one)}
    assert not any((fund, lp) in stored for lp in excluded)
    # Default weights: sector 20, size 20, track record 20, ESG 10, meaning 30; no track
    # record, ESG or vector data count 50. Size: a 500m fund in a 300m-3bn range (log
    # centrality) averaged with a 44.7m cheque (8.9% of the fund: ideal).
    centrality = 100 * (1 - abs(2 * math.log(500 / 300) / math.log(3000 / 300) - 1))
    size = (centrality + 100) / 2
    rule = 0.2 * 100 + 0.2 * size + 0.2 * 50 + 0.1 * 50 + 0.3 * 50
    assert stored[(fund, both)][0] == pytest.approx(round(rule, 2), abs=0.001)
    assert stored[(fund, one)][0] == pytest.approx(round(rule - 10, 2), abs=0.001)
    assert outcome.run.counts["passing"] == 3 and outcome.run.counts["kept"] == 2
