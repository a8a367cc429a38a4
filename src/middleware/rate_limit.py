"""Rate limits: a default per client IP on every route, and stricter slowapi limits per route.

slowapi's own middleware finds the route's endpoint to apply default limits, but FastAPI's
included routers no longer expose endpoints before routing, so it silently limited nothing.
The default limit is therefore applied here, before routing, with the `limits` library that
slowapi is built on; per-route limits stay slowapi decorators on the module-level `limiter`.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from slowapi import Limiter
from slowapi.util import get_remote_address
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.config import Settings
from src.errors import body_for_status, render_error

EXEMPT_PREFIXES = ("/health", "/static/")
# Per client IP, shared by the sign-in page and the API sign-in (one budget of guesses).
SIGN_IN_LIMIT = "10/minute"
# Per signed-in user (the seed's "LP list 100/min"), across the LP API routes.
LP_API_LIMIT = "100/minute"
# Per signed-in user (the seed's "match generation 10/min").
MATCH_GENERATE_LIMIT = "10/minute"
# Per organisation (the seed's "pitches 20/hour per organisation").
PITCH_LIMIT = "20/hour"
# Per signed-in user: starting full analyses (each one is several LLM calls).
DEBATE_LIMIT = "10/minute"


def user_or_ip(request: Request) -> str:
    """Rate-limit key: the signed-in user when there is one, else the client's address."""
    principal = getattr(request.state, "principal", None)
    return f"user:{principal.user_id}" if principal is not None else get_remote_address(request)


def org_or_user(request: Request) -> str:
    """Rate-limit key: the signed-in user's organisation (shared budget), else the user or IP."""
    org = getattr(request.state, "org_id", None)
    return f"org:{org}" if org else user_or_ip(request)


limiter = Limiter(
    key_func=get_remote_address,
    storage_uri="memory://",
    headers_enabled=True,
    strategy="moving-window",
)


def configure_limiter(settings: Settings) -> Limiter:
    """Apply the settings to the shared per-route limiter and start from empty counters."""
    limiter.enabled = settings.rate_limit_enabled
    limiter.reset()
    return limiter


class DefaultRateLimitMiddleware:
    """Apply one limit per client IP to every request outside the exempt paths."""

    def __init__(self, app: ASGIApp, *, limit: str, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        self.item: RateLimitItem = parse(limit)
        self.strategy = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http" or not self.enabled or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "unknown"
        allowed = self.strategy.hit(self.item, "default", key)
        reset_at, remaining = self.strategy.get_window_stats(self.item, "default", key)
        headers = {
            "X-RateLimit-Limit": str(self.item.amount),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        if not allowed:
            retry_after = max(1, math.ceil(reset_at - time.time()))
            body = body_for_status(429, f"Too many requests: the limit is {self.item}.")
            body = replace(body, headers=headers | {"Retry-After": str(retry_after)})
            await render_error(Request(scope, receive), body)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                for name, value in headers.items():
                    mutable.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
