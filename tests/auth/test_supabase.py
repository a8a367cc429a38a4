"""The Supabase provider against a fake GoTrue on 127.0.0.1: the real client, the real protocol."""

from __future__ import annotations

import secrets
import uuid

import jwt
import pytest

from src.auth.providers import (
    AccountExists,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidResetToken,
    ProviderUnavailable,
    WeakPassword,
)
from src.auth.supabase import SupabaseIdentityProvider
from src.auth.tokens import TokenError, token_hash
from src.main import create_app
from tests import factories as f
from tests.fakes.gotrue import FakeGoTrue
from tests.fakes.server import serve
from tests.helpers import PASSWORD, SESSION_COOKIE, post_form, running_client, sign_in


@pytest.fixture(params=["ES256", "HS256"])
def gotrue(request):
    fake = FakeGoTrue(algorithm=request.param)
    with serve(fake.app()) as url:
        fake.url = url
        yield fake


def provider_for(fake: FakeGoTrue, clock=None) -> SupabaseIdentityProvider:
    extra = {"jwt_secret": fake.hs256_secret} if fake.algorithm == "HS256" else {}
    return SupabaseIdentityProvider(url=fake.url, anon_key=fake.anon_key, service_key=fake.service_key,
                                    **extra, **({"clock": clock} if clock else {}))  # fmt: skip


async def test_sign_in_returns_a_session_whose_token_verifies(gotrue):
    user_id = gotrue.add_user("lp@example.org", PASSWORD)
    provider = provider_for(gotrue)
    session = await provider.sign_in("LP@example.org ", PASSWORD)
    principal = await provider.verifier.verify(session.access_token)
    assert str(session.user_id) == user_id == str(principal.user_id)
    assert principal.email == "lp@example.org" and principal.session_id is not None
    assert jwt.get_unverified_header(session.access_token)["alg"] == gotrue.algorithm


async def test_wrong_password_is_invalid_credentials(gotrue):
    gotrue.add_user("lp@example.org", PASSWORD)
    with pytest.raises(InvalidCredentials):
        await provider_for(gotrue).sign_in("lp@example.org", "wrong password!")


@pytest.mark.parametrize(("status", "code"), [(429, "over_request_rate_limit"), (500, "unexpected_failure"),
                                              (503, "service_unavailable")])  # fmt: skip
async def test_rate_limits_and_outages_are_unavailable_not_wrong_password(gotrue, status, code):
    gotrue.add_user("lp@example.org", PASSWORD)
    gotrue.fail_next = (status, code)
    with pytest.raises(ProviderUnavailable):
        await provider_for(gotrue).sign_in("lp@example.org", PASSWORD)


async def test_an_unreachable_gotrue_is_unavailable():
    provider = SupabaseIdentityProvider(
        url="http://127.0.0.1:9", anon_key="a", service_key="s", jwt_secret="x" * 32
    )
    with pytest.raises(ProviderUnavailable):
        await provider.sign_in("lp@example.org", PASSWORD)


async def test_refresh_rotates_and_reuse_fails(gotrue):
    gotrue.add_user("lp@example.org", PASSWORD)
    provider = provider_for(gotrue)
    session = await provider.sign_in("lp@example.org", PASSWORD)
    rotated = await provider.refresh(session.refresh_token)
    assert rotated.refresh_token != session.refresh_token
    with pytest.raises(InvalidRefreshToken):
        await provider.refresh(session.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await provider.refresh("no-such-refresh-token")


async def test_sign_out_revokes_the_refresh_token(gotrue):
    gotrue.add_user("lp@example.org", PASSWORD)
    provider = provider_for(gotrue)
    session = await provider.sign_in("lp@example.org", PASSWORD)
    await provider.sign_out(session.access_token, session.refresh_token)
    assert any(call.startswith("POST /auth/v1/logout?scope=local") for call in gotrue.calls)
    with pytest.raises(InvalidRefreshToken):
        await provider.refresh(session.refresh_token)


async def test_create_user_and_its_errors(gotrue):
    provider = provider_for(gotrue)
    user_id = await provider.create_user("New@Example.org", PASSWORD)
    assert gotrue.users["new@example.org"]["id"] == str(user_id)
    with pytest.raises(AccountExists):
        await provider.create_user("new@example.org", PASSWORD)
    with pytest.raises(WeakPassword):
        await provider.create_user("weak@example.org", "abc")


async def test_password_reset_by_recovery_token(gotrue):
    gotrue.add_user("lp@example.org", PASSWORD)
    provider = provider_for(gotrue)
    await provider.request_password_reset("lp@example.org", "http://127.0.0.1:8000/reset-password")
    await provider.request_password_reset(
        "ghost@example.org", "http://127.0.0.1:8000/reset-password"
    )  # silent
    [token] = gotrue.recovery_tokens
    session = await provider.reset_password(token, "a brand new passphrase")
    assert gotrue.users["lp@example.org"]["password"] == "a brand new passphrase"
    assert session.email == "lp@example.org"
    with pytest.raises(InvalidResetToken):
        await provider.reset_password(token, "another new passphrase")


async def test_verifier_refuses_tokens_it_must_not_accept(gotrue):
    gotrue.add_user("lp@example.org", PASSWORD)
    provider = provider_for(gotrue)
    good = await provider.sign_in("lp@example.org", PASSWORD)
    claims = jwt.decode(good.access_token, options={"verify_signature": False})
    forged = [
        jwt.encode({**claims, "aud": "someone-else"}, gotrue.hs256_secret, algorithm="HS256"),
        jwt.encode(
            {**claims, "iss": "https://evil.example/auth/v1"},
            gotrue.hs256_secret,
            algorithm="HS256",
        ),
        jwt.encode({**claims, "role": "service_role"}, gotrue.hs256_secret, algorithm="HS256"),
        jwt.encode(claims, "another secret of sufficient length!!", algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),
    ]
    if gotrue.algorithm == "ES256":
        # In JWKS mode even a token signed with the right HS256 secret is refused: the algorithm
        # comes from configuration, not from the token.
        forged.append(jwt.encode(claims, gotrue.hs256_secret, algorithm="HS256"))
    for token in forged:
        with pytest.raises(TokenError):
            await provider.verifier.verify(token)


async def test_expiry_is_judged_by_the_injected_clock(gotrue, clock):
    gotrue.add_user("lp@example.org", PASSWORD)
    provider = provider_for(gotrue, clock)
    session = await provider.sign_in("lp@example.org", PASSWORD)
    await provider.verifier.verify(session.access_token)
    clock.advance(hours=1, seconds=1)
    with pytest.raises(TokenError, match="expired"):
        await provider.verifier.verify(session.access_token)


@pytest.fixture
def supabase_app(make_app, gotrue, service):
    """Our app with Supabase Auth: accounts in the fake GoTrue, people in our database."""
    email = f"{f.unique('sb')}@example.org"
    user_id = gotrue.add_user(email, PASSWORD)
    service.execute("insert into auth.users (id, email) values (%s, %s)", (user_id, email))
    org = f.make_org(service, name=f.unique("Supabase Capital"))
    f.make_person(
        service, org_id=org, access_role="member", auth_user_id=uuid.UUID(user_id), email=email
    )
    extra = {"supabase_jwt_secret": gotrue.hs256_secret} if gotrue.algorithm == "HS256" else {}
    app = make_app(supabase_url=gotrue.url, supabase_anon_key=gotrue.anon_key,
                   supabase_service_role_key=gotrue.service_key, **extra)  # fmt: skip
    return app, email


async def test_the_app_signs_in_refreshes_and_signs_out_through_gotrue(supabase_app, gotrue, clock):
    app, email = supabase_app
    async with running_client(app) as http:
        assert (await sign_in(http, email, "wrong password!")).status_code == 401
        assert (await sign_in(http, email)).status_code == 303
        assert (await http.get("/dashboard")).status_code == 200
        gotrue.expires_in = 7200
        clock.advance(hours=1, minutes=1)  # our clock says the access token has expired
        refreshed = await http.get("/dashboard")
        assert refreshed.status_code == 200
        assert any(c.startswith(SESSION_COOKIE) for c in refreshed.headers.get_list("set-cookie"))
        assert any("grant_type=refresh_token" in call for call in gotrue.calls)
        old_cookie = http.cookies[SESSION_COOKIE]
        await post_form(http, "/logout")
        http.cookies.set(SESSION_COOKIE, old_cookie)
        assert (await http.get("/dashboard")).status_code == 303


async def test_gotrue_down_at_sign_in_says_so(supabase_app, gotrue):
    app, email = supabase_app
    gotrue.fail_next = (503, "service_unavailable")
    async with running_client(app) as http:
        response = await sign_in(http, email)
    assert response.status_code == 503 and "temporarily unavailable" in response.text


@pytest.mark.parametrize("gotrue", ["ES256"], indirect=True)  # HS256 fetches no keys
async def test_a_jwks_outage_keeps_everyone_signed_in_for_later(supabase_app, gotrue, clock):
    app, email = supabase_app
    async with running_client(app) as http:
        await sign_in(http, email)
        cookie = http.cookies[SESSION_COOKIE]
    gotrue.jwks_down = True
    fresh_app = create_app(app.state.settings, clock=clock)  # a new process: no cached keys
    async with running_client(fresh_app) as http:
        http.cookies.set(SESSION_COOKIE, cookie)
        response = await http.get("/dashboard")
        assert response.status_code == 303  # cannot verify anyone right now…
        assert not any(
            c.startswith(SESSION_COOKIE) for c in response.headers.get_list("set-cookie")
        )
        gotrue.jwks_down = False
        assert (await http.get("/dashboard")).status_code == 200  # …and the same cookie works again


async def test_an_invitation_revoked_during_acceptance_leaves_no_account(make_app, gotrue, service):
    org = f.make_org(service)
    email = f"{f.unique('late')}@example.org"
    token = secrets.token_urlsafe(32)
    invitation = f.make_invitation(service, org_id=org, email=email, token_hash=token_hash(token))
    gotrue.on_create_user = lambda _: service.execute(
        "update invitations set revoked_at = now() where id = %s", (invitation,)
    )
    extra = {"supabase_jwt_secret": gotrue.hs256_secret} if gotrue.algorithm == "HS256" else {}
    app = make_app(supabase_url=gotrue.url, supabase_anon_key=gotrue.anon_key,
                   supabase_service_role_key=gotrue.service_key, **extra)  # fmt: skip
    async with running_client(app) as http:
        form = {
            "full_name": "Late Comer",
            "password": "a long enough secret",
            "password_confirm": "a long enough secret",
        }
        response = await post_form(http, f"/invite/{token}", form)
    assert response.status_code == 404
    assert email not in gotrue.users  # the account made for it was removed again
