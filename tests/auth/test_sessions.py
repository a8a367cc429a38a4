"""The session cookie's format and flags, and the single-flight refresher."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from src.auth.providers import AuthSession, InvalidRefreshToken
from src.auth.sessions import CookieSpec, Refresher, parse_session_cookie


def test_cookies_are_host_prefixed_and_secure_on_https():
    spec = CookieSpec.for_url("https://lpxgp.com")
    header = spec.header("lpxgp_session", "v", max_age=60)
    assert header.startswith("__Host-lpxgp_session=v;")
    assert all(flag in header for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"))
    assert "Domain" not in header


def test_plain_http_localhost_uses_bare_names_without_secure():
    header = CookieSpec.for_url("http://127.0.0.1:8000").header("lpxgp_session", "v", max_age=60)
    assert header.startswith("lpxgp_session=v;") and "Secure" not in header and "HttpOnly" in header


@pytest.mark.parametrize("value", [None, "", "abc", "a~b~c", "~b", "a~"])
def test_malformed_session_cookies_parse_to_nothing(value):
    assert parse_session_cookie(value) is None


class CountingProvider:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def refresh(self, token: str) -> AuthSession:
        self.calls += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise InvalidRefreshToken
        return AuthSession(
            f"access-{self.calls}",
            f"refresh-{self.calls}",
            datetime.now(UTC),
            uuid.uuid4(),
            "a@b.c",
        )


async def test_concurrent_refreshes_of_one_token_call_the_provider_once(clock):
    provider = CountingProvider()
    refresher = Refresher(provider, clock=clock)  # type: ignore[arg-type]
    sessions = await asyncio.gather(*(refresher.refresh("old") for _ in range(5)))
    assert provider.calls == 1 and len({s.refresh_token for s in sessions}) == 1
    assert (await refresher.refresh("old")).refresh_token == "refresh-1"  # a late straggler too
    await refresher.refresh("another")
    assert provider.calls == 2


async def test_a_failed_refresh_fails_every_waiter_and_is_not_cached(clock):
    provider = CountingProvider(fail=True)
    refresher = Refresher(provider, clock=clock)  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(refresher.refresh("bad") for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, InvalidRefreshToken) for r in results) and provider.calls == 1
    with pytest.raises(InvalidRefreshToken):
        await refresher.refresh("bad")
    assert provider.calls == 2
