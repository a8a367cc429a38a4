"""Load a generated market into a database with COPY, on the service (admin) connection."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from src.auth.passwords import hash_password
from src.demo.market import COLUMNS, DEMO_PASSWORD, Market

# Every table the demo writes or that the app fills while it runs; scoring weights are
# configuration (seeded by a migration) and survive a reset.
RESET_TABLES = (
    "organizations", "people", "investments", "embeddings", "batch_runs", "llm_calls",
    "alerts", "audit_log", "invitations", "entity_changes", "collaborative_signals",
    "retrain_reports",
)  # fmt: skip


class DatabaseNotEmpty(RuntimeError):
    """The target already holds organisations; loading twice would mix two markets."""


@dataclass(frozen=True)
class LoadReport:
    """What was loaded, how long it took and how big the database is now."""

    rows: dict[str, int]
    seconds: float
    database_bytes: int


def has_market(conn: psycopg.Connection) -> bool:
    """True when any organisation exists."""
    row = conn.execute("select exists (select 1 from public.organizations)").fetchone()
    return bool(row and row[0])


def reset(conn: psycopg.Connection) -> None:
    """Empty every market and activity table (and local auth users), keeping scoring weights."""
    with conn.transaction():
        conn.execute(
            "create temporary table kept_weights on commit drop as "
            "select * from public.scoring_weights"
        )
        tables = sql.SQL(", ").join(sql.Identifier("public", t) for t in RESET_TABLES)
        conn.execute(sql.SQL("truncate {}, auth.users cascade").format(tables))
        conn.execute(
            "insert into public.scoring_weights overriding system value "
            "select version, kind, weights, is_active, notes, metrics, null, created_at "
            "from kept_weights"
        )


def load_market(conn: psycopg.Connection, market: Market) -> LoadReport:
    """COPY every table in one transaction; refuses a database that already has a market."""
    started = time.perf_counter()
    with conn.transaction():
        # Two processes starting at once must not both load into the empty database.
        conn.execute("select pg_advisory_xact_lock(hashtext('lpxgp.demo_market'))")
        if has_market(conn):
            raise DatabaseNotEmpty("the database already has organisations; reset it first")
        for table, rows in market.rows.items():
            with _gin_built_afterwards(conn, table):
                _copy(conn, table, COLUMNS[table], rows)
        # The hash is salted, so it is made here rather than in the (deterministic) rows.
        conn.execute(
            "update auth.users set encrypted_password = %(hash)s where email = any(%(emails)s)",
            {
                "hash": hash_password(DEMO_PASSWORD),
                "emails": [login.email for login in market.logins],
            },
        )
    conn.execute("analyze")
    size = conn.execute("select pg_database_size(current_database())").fetchone()
    return LoadReport(market.counts(), time.perf_counter() - started, int(size[0]) if size else 0)


@contextmanager
def _gin_built_afterwards(conn: psycopg.Connection, table: str) -> Iterator[None]:
    """Drop the table's GIN indexes for the COPY and build them again after it.

    Inserting row by row into a trigram GIN over 100k mandate texts costs minutes; one bulk build
    costs seconds. The definitions come from the catalogue, so nothing is restated here.
    """
    schema, _, name = table.rpartition(".")
    indexes = conn.execute(
        "select indexname, indexdef from pg_indexes where schemaname = %(schema)s "
        "and tablename = %(table)s and indexdef like '%% USING gin %%'",
        {"schema": schema or "public", "table": name},
    ).fetchall()
    for index, _ in indexes:
        conn.execute(sql.SQL("drop index {}").format(sql.Identifier(schema or "public", index)))
    yield
    for _, definition in indexes:
        conn.execute(definition.encode())


def _copy(
    conn: psycopg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[object, ...]],
) -> None:
    schema, _, name = table.rpartition(".")
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(schema or "public", name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
