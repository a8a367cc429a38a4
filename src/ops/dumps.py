"""Backups of the configured database with pg_dump, restores with pg_restore, both checked.

A backup holds the data of the `public` schema (and `auth.users` where sign-in is local),
never the schema itself: the schema comes from `supabase/migrations`, so a restore goes into a
database migrated to the same level. Beside the dump, a manifest (JSON) records that level and,
per table, the row count and a checksum of the rows; a restore refuses a database at another
level, and afterwards compares every table with the manifest.

The PostgreSQL 18 client tools come with the embedded server package, so this works the same
on a laptop and against Supabase (pg_dump reads older servers).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from src.db.embedded import POSTGRES_BIN_PATH


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead, with the reason for the operator."""


@dataclass
class Manifest:
    """What a dump holds, to check a restore against."""

    created_at: str
    migration: str | None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        """Write the manifest as JSON."""
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest written by `save`."""
        try:
            data = json.loads(path.read_text())
            return cls(data["created_at"], data["migration"], data["tables"])
        except (OSError, ValueError, KeyError) as exc:
            raise BackupError(f"{path} is not a backup manifest ({exc})") from exc


def manifest_path(dump: Path) -> Path:
    """The manifest beside a dump: `x.dump` → `x.dump.json`."""
    return dump.with_name(dump.name + ".json")


def tables_of(conn: psycopg.Connection, *, include_auth: bool, only: list[str] | None) -> list[str]:
    """The tables a backup holds, as schema-qualified names, in a stable order."""
    rows = conn.execute(
        "select n.nspname || '.' || c.relname from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and (n.nspname = 'public'"
        " or (%(auth)s and n.nspname = 'auth' and c.relname = 'users'))"
        " order by 1",
        {"auth": include_auth},
    ).fetchall()
    names = [r[0] for r in rows]
    if only:
        wanted = {t if "." in t else f"public.{t}" for t in only}
        unknown = sorted(wanted - set(names))
        if unknown:
            raise BackupError(f"unknown table(s): {', '.join(unknown)}")
        names = [n for n in names if n in wanted]
    return names


def fingerprint(conn: psycopg.Connection, table: str) -> dict[str, Any]:
    """Rows and a checksum of their text, independent of their physical order."""
    schema, name = table.split(".", 1)
    row = conn.execute(
        sql.SQL(
            "select count(*), md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)),"
            " '')) from {} t"
        ).format(sql.Identifier(schema, name))
    ).fetchone()
    assert row is not None
    return {"rows": int(row[0]), "checksum": row[1]}


def migration_level(conn: psycopg.Connection) -> str | None:
    """The newest migration applied to this database."""
    row = conn.execute("select max(version) from supabase_migrations.schema_migrations").fetchone()
    return row[0] if row else None


def _run(tool: str, args: list[str]) -> None:
    done = subprocess.run([str(POSTGRES_BIN_PATH / tool), *args], capture_output=True,
                          text=True, timeout=3600, check=False)  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-2000:]}")


def backup(
    url: str, out: Path, *, include_auth: bool = True, only: list[str] | None = None
) -> Manifest:
    """Dump the data to `out` (custom format) and write its manifest beside it."""
    with psycopg.connect(url) as conn:
        tables = tables_of(conn, include_auth=include_auth, only=only)
        manifest = Manifest(datetime.now(UTC).isoformat(), migration_level(conn))
    out.parent.mkdir(parents=True, exist_ok=True)
    table_args = [f"--table={t}" for t in tables]
    # A snapshot: the dump is consistent, and the manifest is computed inside it.
    _run("pg_dump", ["--format=custom", "--data-only", "--no-owner", "--no-privileges",
                     *table_args, f"--file={out}", f"--dbname={url}"])  # fmt: skip
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute("set transaction isolation level repeatable read, read only")
        manifest.tables = {t: fingerprint(conn, t) for t in tables}
    manifest.save(manifest_path(out))
    return manifest


def restore(url: str, dump: Path, *, wipe: bool = False) -> dict[str, dict[str, Any]]:
    """Load a dump into a database migrated to the same level; check every table after."""
    if not dump.is_file():
        raise BackupError(f"{dump} does not exist")
    manifest = Manifest.load(manifest_path(dump))
    with psycopg.connect(url, autocommit=True) as conn:
        level = migration_level(conn)
        if level != manifest.migration:
            raise BackupError(
                f"the backup is at migration {manifest.migration}, this database at {level}:"
                " migrate it to the backup's level first (python -m src.db.migrate)"
            )
        holding = [t for t in manifest.tables if fingerprint(conn, t)["rows"]]
        if holding and not wipe:
            raise BackupError(
                f"{len(holding)} table(s) already hold rows ({', '.join(holding[:5])}…):"
                " restore with --wipe to replace them"
            )
    names = sql.SQL(", ").join(sql.Identifier(*t.split(".", 1)) for t in manifest.tables)
    with tempfile.TemporaryDirectory() as scratch:
        script, wipe_sql = Path(scratch) / "restore.sql", Path(scratch) / "wipe.sql"
        _run("pg_restore", ["--data-only", "--disable-triggers", "--no-owner",
                            f"--file={script}", str(dump)])  # fmt: skip
        statement = sql.SQL("truncate {} restart identity cascade;\n").format(names)
        with psycopg.connect(url) as conn:
            wipe_sql.write_text(statement.as_string(conn) if holding else "")
        # One transaction for the wipe and the load: a failure leaves the database as it was.
        _run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                      f"--dbname={url}", "-f", str(wipe_sql), "-f", str(script)])  # fmt: skip
    with psycopg.connect(url) as conn:
        found = {t: fingerprint(conn, t) for t in manifest.tables}
    wrong = [t for t, f in found.items() if f != manifest.tables[t]]
    if wrong:
        raise BackupError(f"restored data differs from the backup in: {', '.join(wrong)}")
    return found
