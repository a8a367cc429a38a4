"""Request dependencies, declared once as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from src.config import Settings
from src.errors import is_htmx


def get_app_settings(request: Request) -> Settings:
    """Return the settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_pool(request: Request) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """Return the app's connection pool."""
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]] = request.app.state.pool
    return pool


def get_is_htmx(request: Request) -> bool:
    """Tell whether htmx asked for a fragment."""
    return is_htmx(request)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PoolDep = Annotated[AsyncConnectionPool[AsyncConnection[TupleRow]], Depends(get_pool)]
IsHtmx = Annotated[bool, Depends(get_is_htmx)]
