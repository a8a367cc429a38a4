"""Backup → wipe → restore keeps every row; refusals come with their reason."""

from __future__ import annotations

import json

import psycopg
import pytest

from src.ops import backup as backup_cli
from src.ops import restore as restore_cli
from src.ops.dumps import fingerprint, manifest_path, tables_of
from tests.agents.batch_support import load_demo


def fingerprints(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return {t: fingerprint(conn, t) for t in tables_of(conn, include_auth=True, only=None)}


def test_backup_wipe_restore_keeps_every_demo_row(empty_db, tmp_path, capsys):
    url = empty_db.admin_url
    load_demo(url, lps=150, funds=6)
    before = fingerprints(url)
    assert before["public.lp_profiles"]["rows"] == 150 and before["auth.users"]["rows"] > 0
    dump = tmp_path / "demo.dump"
    assert backup_cli.main(["--database-url", url, "--out", str(dump)]) == 0
    assert "Backed up" in capsys.readouterr().out
    manifest = json.loads(manifest_path(dump).read_text())
    assert manifest["tables"] == before and manifest["migration"]

    # Accidental deletion: a whole LP and everything that hangs off it, and the users.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("delete from organizations where id in (select org_id from lp_profiles"
                     " order by org_id limit 10)")  # fmt: skip
        conn.execute("delete from auth.users")
    assert fingerprints(url) != before

    assert restore_cli.main([str(dump), "--database-url", url]) == 1
    assert "restore with --wipe" in capsys.readouterr().err
    assert restore_cli.main([str(dump), "--database-url", url, "--wipe"]) == 0
    assert "every table matches" in capsys.readouterr().out
    assert fingerprints(url) == before


def test_restore_refuses_another_migration_level_and_leaves_the_data(empty_db, tmp_path, capsys):
    url = empty_db.admin_url
    load_demo(url, lps=60, funds=6)
    dump = tmp_path / "lps.dump"
    assert backup_cli.main(["--database-url", url, "--out", str(dump),
                            "--table", "lp_profiles"]) == 0  # fmt: skip
    manifest = json.loads(manifest_path(dump).read_text())
    assert list(manifest["tables"]) == ["public.lp_profiles"]
    manifest["migration"] = "20990101000000"
    manifest_path(dump).write_text(json.dumps(manifest))
    before = fingerprints(url)
    assert restore_cli.main([str(dump), "--database-url", url, "--wipe"]) == 1
    assert "migrate it to the backup's level" in capsys.readouterr().err
    assert fingerprints(url) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--table", "nope"], "unknown table(s): public.nope")],
)
def test_backup_names_what_is_wrong(empty_db, tmp_path, capsys, argv, message):
    out = tmp_path / "x.dump"
    assert backup_cli.main(["--database-url", empty_db.admin_url, "--out", str(out), *argv]) == 1
    assert message in capsys.readouterr().err


def test_a_failed_restore_leaves_the_database_as_it_was(empty_db, tmp_path, capsys):
    url = empty_db.admin_url
    load_demo(url, lps=60, funds=6)
    dump = tmp_path / "demo.dump"
    assert backup_cli.main(["--database-url", url, "--out", str(dump)]) == 0
    dump.write_bytes(dump.read_bytes()[: len(dump.read_bytes()) // 2])  # a truncated file
    before = fingerprints(url)
    assert restore_cli.main([str(dump), "--database-url", url, "--wipe"]) == 1
    assert "failed" in capsys.readouterr().err
    assert fingerprints(url) == before
