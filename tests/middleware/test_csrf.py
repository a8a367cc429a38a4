"""CSRF: cookie-session writes need the token and a same-site origin; bearer calls do not."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.helpers import PASSWORD, csrf_token, sign_in


@pytest.fixture
def account(service):
    email = f"{f.unique('csrf')}@example.org"
    f.make_user(
        service, org_id=f.make_org(service), access_role="admin", email=email, password=PASSWORD
    )
    return email


async def test_a_form_post_without_the_token_is_refused(client, account):
    await csrf_token(client)
    response = await client.post("/login", data={"email": account, "password": PASSWORD})
    assert response.status_code == 403 and "expired or came from another site" in response.text


async def test_a_post_with_a_wrong_token_is_refused(client, account):
    await csrf_token(client)
    data = {"email": account, "password": PASSWORD, "csrf_token": "x" * 43}
    assert (await client.post("/login", data=data)).status_code == 403


async def test_a_post_without_the_cookie_is_refused(client, account):
    token = await csrf_token(client)
    client.cookies.clear()
    data = {"email": account, "password": PASSWORD, "csrf_token": token}
    assert (await client.post("/login", data=data)).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
async def test_a_cross_site_post_is_refused_even_with_the_token(client, account, headers):
    token = await csrf_token(client)
    data = {"email": account, "password": PASSWORD, "csrf_token": token}
    assert (await client.post("/login", data=data, headers=headers)).status_code == 403


async def test_htmx_sends_the_token_as_a_header(client, account):
    await sign_in(client, account)
    headers = {
        "X-CSRF-Token": client.cookies["lpxgp_csrf"],
        "HX-Request": "true",
        "Origin": "http://testserver",
    }
    response = await client.post(
        "/team/invitations", data={"email": "new@example.org", "role": "viewer"}, headers=headers
    )
    assert response.status_code == 200 and "Invitation sent to new@example.org" in response.text


async def test_a_json_api_call_with_the_cookie_session_needs_the_token(client, account):
    await sign_in(client, account)
    body = {"email": "api-new@example.org", "role": "viewer"}
    assert (await client.post("/api/v1/users/invitations", json=body)).status_code == 403
    headers = {"X-CSRF-Token": client.cookies["lpxgp_csrf"]}
    assert (
        await client.post("/api/v1/users/invitations", json=body, headers=headers)
    ).status_code == 201


async def test_bearer_token_calls_are_exempt(client, account):
    tokens = (
        await client.post("/api/v1/auth/login", json={"email": account, "password": PASSWORD})
    ).json()
    client.cookies.clear()
    body = {"email": "bearer-new@example.org", "role": "member"}
    response = await client.post(
        "/api/v1/users/invitations",
        json=body,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 201


async def test_the_csrf_json_error_names_no_secret(client):
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
