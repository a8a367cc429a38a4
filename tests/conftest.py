"""Test fixtures: one embedded Postgres per session, apps built from explicit settings."""

from __future__ import annotations

import dataclasses
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql

from src.config import Settings
from src.db.embedded import EmbeddedDatabase, start_embedded
from src.db.migrate import apply_migrations
from src.db.pool import create_pool
from src.main import create_app
from tests.helpers import running_client

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRETS = {
    "session_secret": "test-session-secret-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e",
    "token_encryption_key": "test-token-key-7c1e9a3f5b7d9f1a3c5e7b9d1f3a5c7e",
}

# Tests must not pick up a developer's exported keys or .env values.
for _name in Settings.model_fields:
    os.environ.pop(_name.upper(), None)

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "testserver", None}
_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOCAL_HOSTS:
        raise AssertionError(f"test tried to reach a real host: {name}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def no_real_network() -> Iterator[None]:
    """Fail any test that resolves a host other than this machine."""
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedDatabase]:
    """The session's embedded server, with a migrated `lpxgp_test` database."""
    server = start_embedded(tmp_path_factory.mktemp("pg"), database="lpxgp_test")
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def migrated_db(pg_server: EmbeddedDatabase) -> EmbeddedDatabase:
    await apply_migrations(pg_server.admin_url)
    return pg_server


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build settings for a test app: no .env file, test secrets, the given overrides."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"app_env": "test", "data_dir": tmp_path / "data", **TEST_SECRETS}
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings], migrated_db: EmbeddedDatabase) -> Settings:
    return make_settings(database_url=migrated_db.app_url)


class FakeClock:
    """A clock tests can move; starts at the real time so tokens look ordinary."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_app(
    make_settings: Callable[..., Settings], settings: Settings, clock: FakeClock
) -> Callable[..., FastAPI]:
    """Build an app on the session database with some settings changed."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(
            make_settings(database_url=settings.database_url, **overrides), clock=clock
        )

    return build


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture(scope="session")
def service(migrated_db: EmbeddedDatabase) -> Iterator[psycopg.Connection]:
    """The service (superuser) connection that factories write through, autocommit."""
    with psycopg.connect(migrated_db.admin_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_client(app) as http:
        yield http


@pytest.fixture
async def empty_db(pg_server: EmbeddedDatabase) -> AsyncIterator[EmbeddedDatabase]:
    """A freshly migrated database of its own on the session server, dropped afterwards."""
    name = f"lpxgp_{uuid.uuid4().hex[:12]}"
    maintenance = pg_server.url(database="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    database = dataclasses.replace(pg_server, database=name)
    await apply_migrations(database.admin_url)
    yield database
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
async def pool(
    empty_db: EmbeddedDatabase, make_settings: Callable[..., Settings]
) -> AsyncIterator[Any]:
    """A pool on a fresh database of its own (room for a batch worker's parallel items)."""
    pool = create_pool(empty_db.app_url, make_settings(db_pool_max_size=12))
    await pool.open(wait=True)
    yield pool
    await pool.close()
