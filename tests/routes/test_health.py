import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from src.config import Settings
from src.db.embedded import start_embedded
from src.db.migrate import apply_migrations
from src.main import create_app
from tests.helpers import running_client


async def test_health_is_healthy_with_database_and_no_llm_key(client: httpx.AsyncClient):
    response = await client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["checks"] == {"database": "ok", "openrouter": "not configured"}
    assert body["timestamp"].endswith("Z") or "+00:00" in body["timestamp"]
    assert response.headers["cache-control"] == "no-store"


async def test_health_reports_last_known_provider_error_as_degraded(
    make_app: Callable[..., FastAPI],
):
    app = make_app(openrouter_api_key="sk-or-test")
    async with running_client(app) as client:
        assert (await client.get("/health")).json()["checks"]["openrouter"] == "ok"

        app.state.providers.get("openrouter").record_error("429 rate limited")
        response = await client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["openrouter"] == "error: 429 rate limited"


async def test_health_is_never_rate_limited(make_app: Callable[..., FastAPI]):
    app = make_app(rate_limit_default="2/minute")
    async with running_client(app) as client:
        statuses = {(await client.get("/health")).status_code for _ in range(5)}
    assert statuses == {200}


async def wait_for_status(client: httpx.AsyncClient, status: int, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get("/health")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_health_follows_a_database_restart_without_restarting_the_app(
    make_settings: Callable[..., Settings], tmp_path: Path
):
    server = await asyncio.to_thread(start_embedded, tmp_path, database="restart")
    try:
        await apply_migrations(server.admin_url)
        # A page waits this long for a connection before it says the database is away.
        app = create_app(make_settings(database_url=server.app_url, db_pool_timeout_seconds=2))
        async with running_client(app) as client:
            assert (await client.get("/health")).status_code == 200

            assert (await client.get("/login")).status_code == 200

            await asyncio.to_thread(server.stop)
            down = await wait_for_status(client, 503, seconds=10)
            assert down.status_code == 503
            assert down.json()["status"] == "degraded"
            assert down.json()["checks"]["database"].startswith("error: ")
            # Pages and the API answer with a friendly error, never a stack trace.
            page = await client.get("/login", headers={"Accept": "text/html"})
            assert page.status_code == 503 and "<html" in page.text.lower()
            assert "Traceback" not in page.text and "psycopg" not in page.text
            api = await client.get("/api/v1/funds")
            assert api.status_code in (401, 503) and "psycopg" not in api.text

            server = await asyncio.to_thread(server.start)
            up = await wait_for_status(client, 200, seconds=20)
            assert up.status_code == 200
            assert up.json() == {**up.json(), "status": "healthy"}
            assert (await client.get("/login")).status_code == 200
    finally:
        await asyncio.to_thread(server.stop)
