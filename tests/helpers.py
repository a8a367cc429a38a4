"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
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
