"""`python -m src.demo.generate` and the first start of the embedded default."""

from __future__ import annotations

import psycopg
import pytest

from src.config import get_settings
from src.demo.generate import ensure_demo_market, main
from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from tests.helpers import post_form, running_client, sign_in
from tests.test_config import COMPLETE_PRODUCTION

SMALL = ["--lps", "60", "--funds", "6", "--as-of", "2026-11-27"]


def organisations(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from organizations").fetchone()[0]


def test_generate_loads_and_reports(empty_db, capsys):
    assert main([*SMALL, "--database-url", empty_db.admin_url]) == 0
    out = capsys.readouterr().out
    assert "lp_profiles" in out and "loaded in" in out and "platform@example.com" in out
    assert organisations(empty_db.admin_url) == 60 + 3


def test_generate_refuses_to_load_twice_then_resets(empty_db, capsys):
    assert main([*SMALL, "--database-url", empty_db.admin_url]) == 0
    assert main([*SMALL, "--database-url", empty_db.admin_url]) == 1
    assert "reset it first" in capsys.readouterr().err
    assert main([*SMALL, "--seed", "9", "--reset", "--database-url", empty_db.admin_url]) == 0
    assert organisations(empty_db.admin_url) == 63


def test_generate_dry_run_loads_nothing(empty_db, capsys):
    assert main([*SMALL, "--dry-run", "--database-url", empty_db.admin_url]) == 0
    assert "generated in" in capsys.readouterr().out
    assert organisations(empty_db.admin_url) == 0


@pytest.mark.parametrize("env", ["staging", "production"])
def test_generate_refuses_deployed_environments(env, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    for name, value in {**COMPLETE_PRODUCTION, "app_env": env}.items():
        monkeypatch.setenv(name.upper(), value)
    get_settings.cache_clear()
    try:
        assert main(SMALL) == 2
    finally:
        get_settings.cache_clear()
    assert f"APP_ENV={env}" in capsys.readouterr().err


def test_ensure_demo_market_loads_only_into_an_empty_database(empty_db):
    market = ensure_demo_market(empty_db.admin_url)
    assert market is not None and organisations(empty_db.admin_url) == 5_040
    assert ensure_demo_market(empty_db.admin_url) is None


async def test_first_start_of_the_embedded_default_loads_the_demo(make_settings, tmp_path):
    app = create_app(make_settings(app_env="development", data_dir=tmp_path / "fresh"))
    async with running_client(app) as http:
        assert (await http.get("/health")).status_code == 200
        assert organisations(app.state.database.admin_url) == 5_040


async def test_demo_sign_ins_work_with_the_printed_password(make_settings, tmp_path):
    app = create_app(make_settings(app_env="development", data_dir=tmp_path / "demo-login"))
    async with running_client(app) as http:
        assert (
            await sign_in(http, "member@northlight.example.com", DEMO_PASSWORD)
        ).status_code == 303
        dashboard = await http.get("/dashboard")
        # A fund entered through the form with ordinary inputs finds LPs in the demo market.
        created = await post_form(
            http,
            "/funds",
            {
                "name": "Northlight Growth Partners I",
                "status": "raising",
                "strategy": "private_equity/growth",
                "target_size_musd": "250",
                "geographies": "europe",
                "sectors": "technology",
                "thesis": "Minority growth equity in European B2B software companies.",
            },  # fmt: skip
        )
        assert created.status_code == 303, created.text
        matches = await http.get(created.headers["location"].split("?")[0] + "/matches")
    assert dashboard.status_code == 200 and "Northlight Capital" in dashboard.text
    assert "Northlight Capital Fund" in dashboard.text and "Harbor Ridge" not in dashboard.text
    assert matches.status_code == 200
    assert matches.text.count('class="card match-card') >= 10
