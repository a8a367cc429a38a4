"""Signing in and out through the real HTTP path: cookies, lockout, refresh, reset."""

from __future__ import annotations

import asyncio

import pytest
from bs4 import BeautifulSoup

from src.main import create_app
from tests import factories as f
from tests.helpers import PASSWORD, SESSION_COOKIE, csrf_token, post_form, running_client, sign_in


@pytest.fixture
def account(service):
    org = f.make_org(service, name=f.unique("Auth Capital"))
    email = f"{f.unique('auth')}@example.org"
    user_id = f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    return {"org": org, "email": email, "user_id": user_id}


def form(html: str, action: str):
    return BeautifulSoup(html, "html.parser").find("form", attrs={"action": action})


async def test_login_page_has_a_form_with_a_csrf_field(client):
    response = await client.get("/login")
    login = form(response.text, "/login")
    assert response.status_code == 200 and login is not None
    assert (
        login.find("input", attrs={"name": "csrf_token"})["value"] == client.cookies["lpxgp_csrf"]
    )
    assert login.find("input", attrs={"name": "email"}) and login.find(
        "input", attrs={"type": "password"}
    )


async def test_sign_in_sets_a_strict_session_cookie_and_opens_the_dashboard(client, account):
    response = await sign_in(client, account["email"])
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert BeautifulSoup(dashboard.text, "html.parser").find("h1").text.startswith("Auth Capital")


@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
async def test_sign_in_failures_look_the_same_and_keep_the_email(client, account, who):
    email = account["email"] if who == "wrong password" else "nobody@example.org"
    response = await sign_in(client, email, "not the password at all")
    page = BeautifulSoup(response.text, "html.parser")
    assert response.status_code == 401
    assert "do not match an account" in page.find(attrs={"role": "alert"}).text
    assert page.find("input", attrs={"name": "email"})["value"] == email
    # The cursor goes to the password, not back to the kept email.
    assert page.find("input", attrs={"name": "password"}).has_attr("autofocus")
    assert not page.find("input", attrs={"name": "email"}).has_attr("autofocus")
    assert SESSION_COOKIE not in client.cookies


async def test_five_failures_lock_the_account_for_thirty_minutes(client, account, clock, service):
    for _ in range(5):
        assert (await sign_in(client, account["email"], "wrong password!")).status_code == 401
    assert (await sign_in(client, account["email"])).status_code == 401  # right password, locked
    clock.advance(minutes=29)
    assert (await sign_in(client, account["email"])).status_code == 401
    clock.advance(minutes=2)
    assert (await sign_in(client, account["email"])).status_code == 303
    actions = [row[0] for row in service.execute(
        "select action from audit_log where entity_id = %s order by id", (account["email"],)
    )]  # fmt: skip
    assert actions == ["auth.sign_in_failed"] * 5 + ["auth.sign_in_refused"] * 2 + ["auth.sign_in"]


async def test_parallel_guesses_cannot_outrun_the_lock(client, account, service):
    results = await asyncio.gather(
        *(sign_in(client, account["email"], f"guess number {i}") for i in range(9))
    )
    assert [r.status_code for r in results] == [401] * 9
    actions = [row[0] for row in service.execute(
        "select action from audit_log where entity_id = %s", (account["email"],)
    )]  # fmt: skip
    assert actions.count("auth.sign_in_failed") == 5 and actions.count("auth.sign_in_refused") == 4


async def test_a_deactivated_members_session_is_not_revived_by_a_refresh(
    app, client, account, clock, service
):
    admin = f"{f.unique('boss')}@example.org"
    f.make_user(service, org_id=account["org"], access_role="admin", email=admin, password=PASSWORD)
    async with running_client(app) as member:
        await sign_in(member, account["email"])
        await sign_in(client, admin)
        person = service.execute(
            "select id from people where email = %s", (account["email"],)
        ).fetchone()[0]
        await post_form(client, f"/team/members/{person}/deactivate")
        clock.advance(minutes=61)  # the member's access token expires; the middleware refreshes it
        response = await member.get("/dashboard")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_sign_out_then_replaying_the_old_cookie_is_anonymous(client, account):
    await sign_in(client, account["email"])
    old_cookie = client.cookies[SESSION_COOKIE]
    response = await post_form(client, "/logout")
    assert response.status_code == 303 and SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, old_cookie)
    replay = await client.get("/dashboard")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.~refresh-token-forged", "a~b", "~"],
)
async def test_a_forged_or_random_cookie_is_anonymous(client, cookie):
    client.cookies.set(SESSION_COOKIE, cookie)
    response = await client.get("/dashboard")
    assert (
        response.status_code == 303 and response.headers["location"] == "/login?next=%2Fdashboard"
    )


async def test_an_expired_access_token_is_refreshed_once_for_concurrent_requests(
    client, account, clock
):
    await sign_in(client, account["email"])
    clock.advance(minutes=61)
    responses = await asyncio.gather(*(client.get("/dashboard") for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    cookies = {
        c
        for r in responses
        for c in r.headers.get_list("set-cookie")
        if c.startswith(SESSION_COOKIE)
    }
    assert len(cookies) == 1  # every response carries the same new tokens


async def test_reusing_a_rotated_refresh_token_later_ends_the_session(settings, clock, account):
    first_process = create_app(settings, clock=clock)
    async with running_client(first_process) as http:
        await sign_in(http, account["email"])
        stolen = http.cookies[SESSION_COOKIE]
        clock.advance(minutes=61)
        assert (await http.get("/dashboard")).status_code == 200  # rotated
        fresh = http.cookies[SESSION_COOKIE]
    clock.advance(seconds=30)
    another_process = create_app(settings, clock=clock)  # no in-process memory of the rotation
    async with running_client(another_process) as http:
        http.cookies.set(SESSION_COOKIE, stolen)
        assert (await http.get("/dashboard")).status_code == 303  # reuse detected
        http.cookies.set(SESSION_COOKIE, fresh)
        clock.advance(minutes=61)
        assert (await http.get("/dashboard")).status_code == 303  # the whole session was revoked


@pytest.mark.parametrize(("target", "expected"), [("/team", "/team"), ("//evil.example", "/dashboard"),
                                                  ("https://evil.example/", "/dashboard")])  # fmt: skip
async def test_sign_in_returns_only_to_local_pages(client, account, target, expected):
    await csrf_token(client)
    response = await post_form(
        client, "/login", {"email": account["email"], "password": PASSWORD, "next": target}
    )
    assert response.headers["location"] == expected


async def test_password_reset_by_email_link(client, account, service):
    response = await post_form(client, "/forgot-password", {"email": account["email"]})
    assert "If an account exists" in response.text
    body = service.execute(
        "select body from outbox where to_email = %s and kind = 'password_reset'",
        (account["email"],),
    ).fetchone()[0]
    token = body.split("token=")[1].split()[0]
    page = await client.get(f"/reset-password?token={token}")
    assert (
        form(page.text, "/reset-password").find("input", attrs={"name": "token"})["value"] == token
    )
    new_password = "a brand new long passphrase"
    done = await post_form(
        client,
        "/reset-password",
        {"token": token, "password": new_password, "password_confirm": new_password},
    )
    assert done.status_code == 303 and (await client.get("/dashboard")).status_code == 200
    again = await post_form(
        client,
        "/reset-password",
        {"token": token, "password": new_password, "password_confirm": new_password},
    )
    assert again.status_code == 422 and "invalid, used or expired" in again.text
    client.cookies.clear()
    assert (await sign_in(client, account["email"])).status_code == 401
    assert (await sign_in(client, account["email"], new_password)).status_code == 303


async def test_password_reset_for_an_unknown_email_says_the_same(client, service):
    response = await post_form(client, "/forgot-password", {"email": "ghost@example.org"})
    assert response.status_code == 200 and "If an account exists" in response.text
    assert service.execute(
        "select count(*) from outbox where to_email = 'ghost@example.org'"
    ).fetchone() == (0,)


async def test_weak_new_password_is_refused_next_to_the_field(client, account, service):
    await post_form(client, "/forgot-password", {"email": account["email"]})
    body = service.execute(
        "select body from outbox where to_email = %s", (account["email"],)
    ).fetchone()[0]
    token = body.split("token=")[1].split()[0]
    response = await post_form(
        client,
        "/reset-password",
        {"token": token, "password": "short", "password_confirm": "short"},
    )
    page = BeautifulSoup(response.text, "html.parser")
    assert response.status_code == 422
    assert "at least 12 characters" in page.find(id="password-error").text
