"""Apply supabase/migrations/*.sql in order, each exactly once, each in its own transaction.

Applied versions are recorded in `supabase_migrations.schema_migrations`, the table the
Supabase CLI keeps, so `supabase db push` and this runner agree on what has been applied.
On a database that is not Supabase, the local shim (supabase/local/) runs first.

Usage: python -m src.db.migrate [--database-url URL] [--list]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = ROOT / "supabase" / "migrations"
SHIM_PATH = ROOT / "supabase" / "local" / "supabase_shim.sql"
_FILE_NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every process running migrations.
_LOCK_KEY = 7_301_552_118

logger = logging.getLogger(__name__)


class MigrationError(Exception):
    """A migration file is misnamed, duplicated or failed to apply."""


@dataclass(frozen=True)
class Migration:
    """One SQL file of supabase/migrations."""

    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        """Return the file's SQL text."""
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """List the migration files in version order, refusing bad names and duplicate versions."""
    migrations: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: expected <14-digit timestamp>_<slug>.sql")
        version = match["version"]
        if version in migrations:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        migrations[version] = Migration(version, match["name"], path)
    return [migrations[v] for v in sorted(migrations)]


async def apply_migrations(database_url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; return the versions applied now."""
    pending_all = discover(directory)
    async with await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, prepare_threshold=None
    ) as conn:
        # Two processes starting together must not both apply the same file.
        await conn.execute("select pg_advisory_lock(%(key)s)", {"key": _LOCK_KEY})
        try:
            if not await _is_supabase(conn):
                async with conn.transaction():
                    await conn.execute(SHIM_PATH.read_text(encoding="utf-8").encode())
            await conn.execute('set search_path to "$user", public, extensions')
            await _ensure_history_table(conn)
            applied = await _applied_versions(conn)
            done: list[str] = []
            for migration in pending_all:
                if migration.version not in applied:
                    await _apply_one(conn, migration)
                    done.append(migration.version)
            return done
        finally:
            await conn.execute("select pg_advisory_unlock(%(key)s)", {"key": _LOCK_KEY})


async def applied_versions(database_url: str) -> set[str]:
    """Return the versions recorded as applied."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await _ensure_history_table(conn)
        return await _applied_versions(conn)


async def _is_supabase(conn: AsyncConnection[TupleRow]) -> bool:
    cur = await conn.execute(
        "select exists (select 1 from pg_roles where rolname = 'supabase_admin')"
    )
    row = await cur.fetchone()
    return bool(row and row[0])


async def _ensure_history_table(conn: AsyncConnection[TupleRow]) -> None:
    await conn.execute("create schema if not exists supabase_migrations")
    await conn.execute(
        "create table if not exists supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text)"
    )


async def _applied_versions(conn: AsyncConnection[TupleRow]) -> set[str]:
    cur = await conn.execute("select version from supabase_migrations.schema_migrations")
    return {str(row[0]) for row in await cur.fetchall()}


async def _apply_one(conn: AsyncConnection[TupleRow], migration: Migration) -> None:
    try:
        async with conn.transaction():
            await conn.execute(migration.sql.encode())
            await conn.execute(
                "insert into supabase_migrations.schema_migrations (version, statements, name) "
                "values (%(version)s, %(statements)s, %(name)s)",
                {
                    "version": migration.version,
                    "statements": [migration.sql],
                    "name": migration.name,
                },
            )
    except psycopg.Error as exc:
        raise MigrationError(f"{migration.path.name} failed: {exc}") from exc
    logger.info(
        "migration_applied", extra={"version": migration.version, "migration": migration.name}
    )


def main(argv: list[str] | None = None) -> int:
    """Apply pending migrations to DATABASE_ADMIN_URL, DATABASE_URL or the embedded database."""
    from src.config import get_settings
    from src.db.pool import resolve_database
    from src.logging_config import configure_logging

    parser = argparse.ArgumentParser(prog="python -m src.db.migrate", description=__doc__)
    parser.add_argument("--database-url", help="apply to this database, not the configured one")
    parser.add_argument(
        "--list", action="store_true", help="only list applied and pending versions"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level, settings.secret_values())
    url = args.database_url or resolve_database(settings).admin_url
    try:
        if args.list:
            applied = asyncio.run(applied_versions(url))
            for migration in discover():
                state = "applied" if migration.version in applied else "pending"
                logger.info("migration", extra={"version": migration.version, "state": state})
            return 0
        done = asyncio.run(apply_migrations(url))
    except (MigrationError, psycopg.Error) as exc:
        logger.error("migrations_failed", extra={"reason": str(exc)})
        return 1
    logger.info("migrations_done", extra={"applied": done})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
