"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from bs4 import BeautifulSoup
from fastapi import FastAPI

# A documentation-range address: the "client" every test request comes from.
CLIENT_ADDR = ("203.0.113.7", 50000)


@asynccontextmanager
async def running_client(app: FastAPI, **client_kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=CLIENT_ADDR)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", **client_kwargs
        ) as http:
            yield http


CSRF_COOKIE = "lpxgp_csrf"
SESSION_COOKIE = "lpxgp_session"
PASSWORD = "correct horse battery staple"


async def csrf_token(http: httpx.AsyncClient) -> str:
    """The browser's CSRF token (a first page view sets it)."""
    if CSRF_COOKIE not in http.cookies:
        await http.get("/login")
    return http.cookies[CSRF_COOKIE]


async def post_form(
    http: httpx.AsyncClient, url: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Submit a form the way the browser does: with the CSRF token field."""
    return await http.post(url, data={**(data or {}), "csrf_token": await csrf_token(http)})


async def sign_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the login form; the client keeps the session cookie."""
    return await post_form(http, "/login", {"email": email, "password": password})


def link_from(html: str) -> str:
    """The one-time link a page shows in its `.link-box` (invitations, resets)."""
    return BeautifulSoup(html, "html.parser").find(class_="link-box").text.strip()
