import re
from collections.abc import Callable

import httpx
import psycopg
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI

from src.middleware.security import STATIC_HEADERS
from tests.helpers import running_client

HTMX = {"HX-Request": "true"}


def add_failing_routes(app: FastAPI) -> None:
    async def boom() -> None:
        raise psycopg.errors.UndefinedTable(
            'relation "secret_table" does not exist: select * from secret_table'
        )

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/v1/boom", boom)


@pytest.fixture
async def limited_client(make_app: Callable[..., FastAPI]):
    app = make_app(rate_limit_default="6/minute")
    add_failing_routes(app)
    async with running_client(app) as client:
        yield client


async def responses_of_every_kind(client: httpx.AsyncClient) -> dict[str, httpx.Response]:
    kinds = {
        "page": await client.get("/"),
        "json": await client.get("/health"),
        "not_found": await client.get("/no/such/page"),
        "api_not_found": await client.get("/api/v1/nothing"),
        "server_error": await client.get("/boom"),
        "static": await client.get("/static/css/app.css"),
    }
    for _ in range(3):
        kinds["rate_limited"] = await client.get("/no/such/page")
    return kinds


async def test_every_response_type_carries_the_security_headers(limited_client: httpx.AsyncClient):
    kinds = await responses_of_every_kind(limited_client)

    assert kinds["page"].status_code == 200
    assert kinds["json"].status_code == 200
    assert kinds["not_found"].status_code == 404
    assert kinds["server_error"].status_code == 500
    assert kinds["static"].status_code == 200
    assert kinds["rate_limited"].status_code == 429
    for kind, response in kinds.items():
        for name, value in STATIC_HEADERS.items():
            assert response.headers.get(name) == value, (kind, name)
        csp = response.headers["content-security-policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (kind, directive)
        assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{20,}'", csp), kind
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
        assert response.headers["x-request-id"], kind


async def test_csp_nonce_is_fresh_per_request_and_matches_the_script_tags(
    client: httpx.AsyncClient,
):
    first, second = await client.get("/"), await client.get("/")
    nonces = [
        re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"])[1]
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    scripts = BeautifulSoup(first.text, "html.parser").find_all("script")
    assert scripts and all(s.get("nonce") == nonces[0] for s in scripts)
    assert all(s.get("src", "").startswith("/static/") for s in scripts), "no CDN, no inline code"


async def test_server_error_shows_no_stack_trace_or_sql(limited_client: httpx.AsyncClient):
    page = await limited_client.get("/boom")
    api = await limited_client.get("/api/v1/boom")
    fragment = await limited_client.get("/boom", headers=HTMX)

    for response in (page, api, fragment):
        assert response.status_code == 500
        assert "secret_table" not in response.text
        assert "Traceback" not in response.text and "psycopg" not in response.text
    assert api.json() == {
        "error": "We hit an unexpected error and logged it.",
        "code": "internal_error",
        "details": None,
    }
    assert BeautifulSoup(page.text, "html.parser").find("h1").text == "Something went wrong"
    assert "<html" not in fragment.text and 'role="alert"' in fragment.text


async def test_not_found_is_a_page_for_browsers_json_for_the_api_and_a_fragment_for_htmx(
    client: httpx.AsyncClient,
):
    page = await client.get("/missing", headers={"Accept": "text/html"})
    api = await client.get("/api/v1/missing")
    fragment = await client.get("/missing", headers=HTMX)

    assert BeautifulSoup(page.text, "html.parser").find("h1").text == "Page not found"
    assert page.headers["content-type"].startswith("text/html")
    assert api.json() == {
        "error": "There is nothing at this address.",
        "code": "not_found",
        "details": None,
    }
    assert fragment.headers["hx-retarget"] == "#flash"
    assert "<html" not in fragment.text and "Page not found" in fragment.text
    assert "HX-Request" in page.headers["vary"]


async def test_validation_errors_name_the_field_without_echoing_the_value(
    make_app: Callable[..., FastAPI],
):
    app = make_app()

    async def needs_int(page: int) -> dict[str, int]:
        return {"page": page}

    app.add_api_route("/api/v1/pages", needs_int)
    async with running_client(app) as client:
        response = await client.get("/api/v1/pages", params={"page": "<script>alert(1)</script>"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["details"][0]["field"] == "query.page"
    assert "<script>" not in response.text
