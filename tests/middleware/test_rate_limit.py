from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI

from tests.helpers import running_client, sign_in


@pytest.mark.parametrize(
    ("headers", "kind"),
    [({"Accept": "text/html"}, "page"), ({"HX-Request": "true"}, "fragment"), ({}, "json")],
)
async def test_rate_limit_answers_429_with_retry_after_in_the_right_format(
    make_app: Callable[..., FastAPI], headers: dict[str, str], kind: str
):
    app = make_app(rate_limit_default="2/minute")
    path = "/api/v1/anything" if kind == "json" else "/"
    async with running_client(app) as client:
        first = [await client.get(path, headers=headers) for _ in range(2)]
        limited = await client.get(path, headers=headers)

    assert all(r.status_code != 429 for r in first)
    assert first[0].headers["x-ratelimit-limit"] == "2"
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-ratelimit-remaining"] == "0"
    if kind == "json":
        assert limited.json()["code"] == "rate_limited"
        assert "2 per 1 minute" in limited.json()["error"]
    elif kind == "page":
        assert BeautifulSoup(limited.text, "html.parser").find("h1").text == "Slow down"
    else:
        assert "<html" not in limited.text and "Slow down" in limited.text


async def test_rate_limit_can_be_switched_off(make_app: Callable[..., FastAPI]):
    app = make_app(
        rate_limit_default="1/minute",
        rate_limit_enabled=False,
    )
    async with running_client(app) as client:
        statuses = {(await client.get("/")).status_code for _ in range(3)}
    assert statuses == {200}


async def test_the_sign_in_route_has_its_own_per_ip_limit(client):
    statuses = [
        (await sign_in(client, f"probe{i}@example.org", "wrong password!")).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


async def test_the_api_sign_in_shares_the_rule(client):
    body = {"email": "probe@example.org", "password": "wrong password!"}
    statuses = [
        (
            await client.post("/api/v1/auth/login", json={**body, "email": f"p{i}@example.org"})
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
