from collections.abc import Callable

import pytest
from fastapi import FastAPI

from tests.helpers import running_client

ALLOWED = "https://app.lpxgp.example"


@pytest.fixture
async def cors_client(make_app: Callable[..., FastAPI]):
    app = make_app(cors_origins=ALLOWED)
    async with running_client(app) as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }


async def test_cors_allows_a_listed_origin(cors_client):
    pre = await cors_client.options("/api/v1/lps", headers=preflight(ALLOWED))
    simple = await cors_client.get("/health", headers={"Origin": ALLOWED})

    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == ALLOWED
    assert pre.headers["access-control-allow-credentials"] == "true"
    assert simple.headers["access-control-allow-origin"] == ALLOWED


async def test_cors_refuses_an_unlisted_origin(cors_client):
    pre = await cors_client.options("/api/v1/lps", headers=preflight("https://evil.example"))
    simple = await cors_client.get("/health", headers={"Origin": "https://evil.example"})

    assert pre.status_code == 400
    assert "access-control-allow-origin" not in pre.headers
    assert "access-control-allow-origin" not in simple.headers
