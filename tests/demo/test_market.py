"""The generated market: deterministic, complete in its categories, varied in its texts."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from src.demo.market import COLUMNS, generate_market
from src.services.taxonomy import FUND_STATUSES, FUND_STRATEGIES, LP_TYPES, REGIONS

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def market():
    return generate_market(seed=7, lps=5_000, funds=80, as_of=AS_OF)


def column(market, table: str, name: str) -> list:
    index = COLUMNS[table].index(name)
    return [row[index] for row in market.rows[table]]


def test_generate_market_same_seed_same_rows():
    first = generate_market(seed=11, lps=300, funds=12, as_of=AS_OF)
    again = generate_market(seed=11, lps=300, funds=12, as_of=AS_OF)
    other = generate_market(seed=12, lps=300, funds=12, as_of=AS_OF)
    assert first.rows == again.rows
    assert first.rows["lp_profiles"] != other.rows["lp_profiles"]


def test_generate_market_has_the_requested_scale(market):
    counts = market.counts()
    assert counts["lp_profiles"] == 5_000
    assert counts["funds"] == 80
    assert counts["gp_profiles"] == 40
    assert counts["organizations"] == 5_040
    assert counts["investments"] > 5_000 and counts["match_outcomes"] > 200


def test_generate_market_covers_every_category(market):
    assert set(column(market, "lp_profiles", "lp_type")) == set(LP_TYPES)
    assert set(column(market, "lp_profiles", "region")) == set(REGIONS)
    assert set(column(market, "funds", "status")) == set(FUND_STATUSES)
    assert set(column(market, "funds", "strategy")) == set(FUND_STRATEGIES)
    outcomes = Counter(column(market, "match_outcomes", "outcome"))
    assert len(outcomes) == 4 and min(outcomes.values()) > 20


def test_generate_market_sizes_are_consistent(market):
    rows = zip(
        column(market, "lp_profiles", "aum_musd"),
        column(market, "lp_profiles", "check_size_min_musd"),
        column(market, "lp_profiles", "check_size_max_musd"),
        column(market, "lp_profiles", "fund_size_min_musd"),
        column(market, "lp_profiles", "fund_size_max_musd"),
        strict=True,
    )
    for aum, check_min, check_max, fund_min, fund_max in rows:
        if check_min is not None:
            assert 0 < check_min <= check_max
            if aum is not None:
                assert check_max <= aum  # no LP writes a ticket bigger than itself
        if fund_min is not None:
            assert fund_min <= fund_max and (check_max is None or fund_min >= check_max)


def test_generate_market_mandates_differ_in_substance(market):
    mandates = [m for m in column(market, "lp_profiles", "mandate_text") if m]
    assert len(set(mandates)) == len(mandates) > 4_500
    sentences = Counter(s for m in mandates for s in m.split(". "))
    # Hundreds of distinct sentences, and no sentence shared by more than a fifth of the LPs.
    assert len(sentences) > 1_000
    assert sentences.most_common(1)[0][1] < len(mandates) / 5
    names = column(market, "organizations", "name")
    assert len(set(names)) == len(names)


def test_generate_market_has_demo_sign_ins_for_two_gp_orgs(market):
    roles = Counter((login.org_name, login.role) for login in market.logins)
    orgs = {login.org_name for login in market.logins if login.org_name}
    assert len(orgs) == 2
    for org in orgs:
        assert {role for (name, role) in roles if name == org} == {"admin", "member", "viewer"}
    assert roles[(None, "platform_admin")] == 1


def test_generate_market_refuses_too_small_a_market():
    with pytest.raises(ValueError, match="at least"):
        generate_market(seed=1, lps=5, funds=80, as_of=AS_OF)
