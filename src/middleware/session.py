"""Who is calling: verify the bearer token or the session cookie, refreshing it when expired.

Sets `request.state.principal` (a verified Principal or None) and writes the session cookie
when it was refreshed or found invalid. Route handlers that sign in or out put their own
Set-Cookie value in `request.state.session_cookie`, which wins.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.auth.providers import InvalidRefreshToken, ProviderUnavailable
from src.auth.sessions import SESSION_COOKIE, AuthRuntime, parse_session_cookie
from src.auth.tokens import KeysUnavailable, Principal, TokenError, TokenExpired

logger = structlog.get_logger("lpxgp.auth")
SKIP_PREFIXES = ("/static/",)
# The public liveness check needs no identity; /health/detailed does (platform admins).
SKIP_PATHS = frozenset({"/health"})


class SessionMiddleware:
    """Authenticate every request before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        path = scope.get("path", "")
        if scope["type"] != "http" or path in SKIP_PATHS or path.startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        runtime: AuthRuntime | None = getattr(scope["app"].state, "auth", None)
        principal, cookie = (None, None) if runtime is None else await authenticate(scope, runtime)
        state["principal"] = principal
        state.setdefault("session_cookie", cookie)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get("session_cookie"):
                MutableHeaders(scope=message).append("set-cookie", state["session_cookie"])
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def authenticate(scope: Scope, runtime: AuthRuntime) -> tuple[Principal | None, str | None]:
    """The caller's principal, and a Set-Cookie value if the session cookie must change."""
    headers = Headers(scope=scope)
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        try:
            return await runtime.provider.verifier.verify(authorization[7:].strip()), None
        except (TokenError, KeysUnavailable):
            return None, None
    jar = SimpleCookie()
    jar.load(headers.get("cookie", ""))
    morsel = jar.get(runtime.cookies.name(SESSION_COOKIE))
    tokens = parse_session_cookie(morsel.value if morsel else None)
    if tokens is None:
        return None, (runtime.cookies.clear_header() if morsel else None)
    access, refresh = tokens
    try:
        return await runtime.provider.verifier.verify(access), None
    except TokenExpired:
        pass
    except KeysUnavailable:
        # Nobody can be verified while the signing keys are unreachable: keep the cookie.
        logger.warning("session_keys_unavailable")
        return None, None
    except TokenError:
        logger.warning("session_cookie_rejected", reason="invalid access token")
        return None, runtime.cookies.clear_header()
    try:
        session = await runtime.refresher.refresh(refresh)
        principal = await runtime.provider.verifier.verify(session.access_token)
    except (InvalidRefreshToken, TokenError):
        return None, runtime.cookies.clear_header()
    except (ProviderUnavailable, KeysUnavailable):
        logger.warning("session_refresh_unavailable")
        return None, None
    return principal, runtime.cookies.session_header(session)
