import asyncio
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from src.db import migrate
from src.db.embedded import EmbeddedDatabase
from src.db.migrate import MigrationError, apply_migrations, discover


@pytest.fixture
def fresh_db(pg_server: EmbeddedDatabase, request: pytest.FixtureRequest) -> str:
    """An empty database on the session server, dropped after the test."""
    name = "mig_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    with psycopg.connect(pg_server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return pg_server.url(database=name)


def write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)


def fetch_all(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query.encode()).fetchall()


async def test_migrations_apply_on_a_fresh_database_then_apply_nothing(fresh_db: str):
    expected = [m.version for m in discover()]
    assert expected, "the repository has migrations"

    assert await apply_migrations(fresh_db) == expected
    assert await apply_migrations(fresh_db) == []

    recorded = fetch_all(fresh_db, "select version from supabase_migrations.schema_migrations")
    assert sorted(str(r[0]) for r in recorded) == expected
    extensions = {r[0] for r in fetch_all(fresh_db, "select extname from pg_extension")}
    assert {"vector", "pg_trgm"} <= extensions


async def test_migrations_install_the_supabase_shim(fresh_db: str):
    await apply_migrations(fresh_db)
    roles = dict(fetch_all(fresh_db, "select rolname, rolbypassrls from pg_roles"))
    assert roles["anon"] is False and roles["authenticated"] is False
    assert roles["service_role"] is True
    assert roles["lpxgp_app"] is False

    with psycopg.connect(fresh_db) as conn:
        conn.execute(
            "select set_config('role', 'authenticated', true), "
            "set_config('request.jwt.claims', %(claims)s, true)",
            {"claims": '{"sub": "6f1c1f4e-8c2a-4d5e-9b1a-2c3d4e5f6a7b", "role": "authenticated"}'},
        )
        row = conn.execute("select auth.uid()::text, auth.role(), auth.jwt() ->> 'sub'").fetchone()
        assert row == (
            "6f1c1f4e-8c2a-4d5e-9b1a-2c3d4e5f6a7b",
            "authenticated",
            "6f1c1f4e-8c2a-4d5e-9b1a-2c3d4e5f6a7b",
        )
        conn.rollback()
        # Once the transaction ends, the claims are gone: auth.uid() is null, not ''.
        assert conn.execute("select auth.uid()").fetchone() == (None,)


async def test_migration_failure_rolls_back_and_is_not_recorded(fresh_db: str, tmp_path: Path):
    folder = tmp_path / "migrations"
    write(folder, "20260101000000_good.sql", "create table good (id int);")
    write(folder, "20260102000000_bad.sql", "create table half (id int);\nselect no_such_fn();")

    with pytest.raises(MigrationError, match="20260102000000_bad.sql failed"):
        await apply_migrations(fresh_db, folder)

    tables = {r[0] for r in fetch_all(fresh_db, "select tablename from pg_tables")}
    assert "good" in tables and "half" not in tables
    versions = {
        r[0]
        for r in fetch_all(fresh_db, "select version from supabase_migrations.schema_migrations")
    }
    assert versions == {"20260101000000"}


async def test_concurrent_runners_apply_each_migration_once(fresh_db: str, tmp_path: Path):
    folder = tmp_path / "migrations"
    # Not idempotent on purpose: a second application would fail.
    write(folder, "20260101000000_once.sql", "create table once (id int);")

    results = await asyncio.gather(*(apply_migrations(fresh_db, folder) for _ in range(3)))

    assert sorted(len(r) for r in results) == [0, 0, 1]


@pytest.mark.parametrize(
    "name", ["1_short.sql", "20260101000000-dash.sql", "20260101000000_UPPER.sql"]
)
def test_discover_refuses_badly_named_files(tmp_path: Path, name: str):
    write(tmp_path, name, "select 1;")
    with pytest.raises(MigrationError, match="expected <14-digit timestamp>_<slug>.sql"):
        discover(tmp_path)


def test_discover_refuses_duplicate_versions(tmp_path: Path):
    write(tmp_path, "20260101000000_a.sql", "select 1;")
    write(tmp_path, "20260101000000_b.sql", "select 1;")
    with pytest.raises(MigrationError, match="used twice"):
        discover(tmp_path)


def test_migrate_command_applies_and_lists(fresh_db: str, caplog: pytest.LogCaptureFixture):
    assert migrate.main(["--database-url", fresh_db]) == 0
    assert migrate.main(["--database-url", fresh_db, "--list"]) == 0
    assert migrate.main(["--database-url", fresh_db.replace("mig_", "nosuchdb_")]) == 1
