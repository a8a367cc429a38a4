"""Turn an unexpected exception into a generic 500 inside our middleware stack.

Starlette renders handlers for `Exception` in its outermost middleware, outside our security
headers and request log; catching here keeps both on every 500.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg
import structlog
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.errors import body_for_status, render_error

DATABASE_DOWN = (psycopg.OperationalError, PoolTimeout)
UNAVAILABLE = (
    "Our database is not answering right now, so this page cannot load. Nothing you saved is"
    " lost; please try again in a minute."
)

logger = structlog.get_logger("lpxgp.errors")


class UnhandledErrorMiddleware:
    """Log an unexpected exception once and answer with the generic error response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except DATABASE_DOWN as exc:
            # Not a bug: the database is unreachable (restarting, failing over). Say so, and
            # when to try again; the pool reconnects by itself once it is back.
            logger.warning("database_unavailable", path=scope["path"], error=type(exc).__name__)
            if started:
                raise
            error = replace(body_for_status(503, UNAVAILABLE), headers={"Retry-After": "30"})
            await render_error(Request(scope, receive), error)(scope, receive, send)
        except Exception:
            logger.exception("unhandled_error", path=scope["path"], method=scope["method"])
            if started:
                raise
            response = render_error(Request(scope, receive), body_for_status(500))
            await response(scope, receive, send)
