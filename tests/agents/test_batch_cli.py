"""The batch command lines: flags, dry runs, progress output, refusals."""

from __future__ import annotations

import json
import uuid

import pytest

from src.agents.batch import run_incremental, run_nightly
from src.agents.batch.cli import reporter
from src.agents.batch.runner import Progress, next_deadline
from src.config import get_settings
from tests.agents.batch_support import AS_OF, load_demo, scalar


@pytest.fixture
def batch_env(empty_db, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", empty_db.app_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATCH_DEADLINE_UTC", "")
    get_settings.cache_clear()
    yield empty_db
    get_settings.cache_clear()


def test_a_dry_run_plans_and_writes_nothing(batch_env, capsys):
    load_demo(batch_env.admin_url, lps=120, funds=6)
    assert run_nightly.main(["--dry-run", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    plan = json.loads(out.split(":", 1)[1])
    assert plan["funds"] == 3 and plan["score_items"] == 3 and plan["lps_per_item"] == 0
    assert scalar(batch_env.admin_url, "select count(*) from batch_runs") == 0
    assert scalar(batch_env.admin_url, "select count(*) from fund_lp_matches") == 0


def test_one_fund_with_json_progress_and_a_summary(batch_env, capsys):
    load_demo(batch_env.admin_url, lps=120, funds=6)
    fund = scalar(batch_env.admin_url, "select id from funds where status = 'raising' limit 1")
    assert run_nightly.main(["--fund", str(fund), "--progress", "json"]) == 0
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {line["phase"] for line in lines} >= {"score", "debate", "pitch"}
    assert all(line["done"] <= line["total"] for line in lines)
    assert "nightly succeeded" in out and "score: 1 done of 1" in out
    assert scalar(batch_env.admin_url, "select count(distinct fund_id) from fund_lp_matches") == 1


def test_incremental_with_nothing_changed_since_does_nothing(batch_env, capsys):
    load_demo(batch_env.admin_url, lps=120, funds=6)
    assert run_incremental.main(["--since", "2999-01-01T00:00:00Z", "--progress", "json"]) == 0
    assert "nothing to do" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--limit", "0"], "--limit must be at least 1"),
        (["--since", "yesterday"], "is not an ISO 8601 time"),
        (["--fund", "not-a-uuid"], "invalid UUID value"),
    ],
)
def test_bad_flags_are_refused_with_a_reason(argv, message, capsys):
    code = None
    try:
        code = run_nightly.main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_progress_is_a_bar_on_a_terminal(capsys):
    report = reporter("bar")
    report(Progress(phase="debate", done=5, total=20, run_id=uuid.uuid4()))
    out = capsys.readouterr().out
    assert out.startswith("\r  debate") and "[#######" in out and "5/20" in out


def test_the_deadline_is_the_next_one_after_now():
    from datetime import UTC, datetime

    two_am = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, 0, tzinfo=UTC)
    assert next_deadline(two_am, "06:00") == two_am.replace(hour=6)
    assert next_deadline(two_am.replace(hour=7), "06:00") == two_am.replace(day=28, hour=6)
    assert next_deadline(two_am, None) is None
