"""The JSON API's sign-in: tokens, bearer use, rotation, logout, invitations, /users/me."""

from __future__ import annotations

import pytest

from src.main import create_app
from tests import factories as f
from tests.helpers import PASSWORD, running_client


@pytest.fixture
def account(service):
    org = f.make_org(service, name=f.unique("Api Partners"))
    email = f"{f.unique('api')}@example.org"
    user_id = f.make_user(service, org_id=org, access_role="admin", email=email, password=PASSWORD)
    return {"org": org, "email": email, "user_id": user_id}


async def login(http, email: str, password: str = PASSWORD):
    return await http.post("/api/v1/auth/login", json={"email": email, "password": password})


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_login_returns_tokens_that_work_as_bearer(client, account):
    response = await login(client, account["email"])
    tokens = response.json()
    assert response.status_code == 200 and tokens["token_type"] == "bearer"
    assert tokens["user_id"] == str(account["user_id"])
    me = await client.get("/api/v1/users/me", headers=bearer(tokens))
    assert (
        me.status_code == 200
        and me.json()["email"] == account["email"]
        and me.json()["role"] == "admin"
    )


async def test_login_failures_are_401_with_one_message(client, account):
    wrong = await login(client, account["email"], "wrong password here")
    unknown = await login(client, "nobody@example.org", "wrong password here")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]


async def test_login_body_is_validated_with_field_names(client):
    response = await client.post("/api/v1/auth/login", json={"email": "x"})
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["details"]} == {"body.email", "body.password"}


async def test_refresh_rotates_and_a_replay_later_fails(settings, clock, account):
    app = create_app(settings, clock=clock)
    async with running_client(app) as http:
        tokens = (await login(http, account["email"])).json()
        rotated = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert (
            rotated.status_code == 200
            and rotated.json()["refresh_token"] != tokens["refresh_token"]
        )
        again = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert (
            again.json()["refresh_token"] == rotated.json()["refresh_token"]
        )  # within the reuse interval
    clock.advance(seconds=20)
    async with running_client(create_app(settings, clock=clock)) as http:
        late = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert late.status_code == 401
        revoked = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
        )
        assert revoked.status_code == 401  # reuse ends the whole session


async def test_logout_makes_the_access_token_useless(client, account):
    tokens = (await login(client, account["email"])).json()
    response = await client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": tokens["refresh_token"]},
        headers=bearer(tokens),
    )
    assert response.status_code == 204
    assert (await client.get("/api/v1/users/me", headers=bearer(tokens))).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_a_bad_bearer_token_is_401_not_500(client):
    response = await client.get("/api/v1/users/me", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_users_me_patch_changes_the_name_and_refuses_bad_input(client, account):
    tokens = (await login(client, account["email"])).json()
    renamed = await client.patch(
        "/api/v1/users/me", json={"full_name": "  Renée   Okafor "}, headers=bearer(tokens)
    )
    assert renamed.status_code == 200 and renamed.json()["full_name"] == "Renée Okafor"
    bad = await client.patch(
        "/api/v1/users/me", json={"new_password": "another long password"}, headers=bearer(tokens)
    )
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "current_password"


async def test_password_change_keeps_this_session_and_ends_the_others(client, account, clock):
    first = (await login(client, account["email"])).json()
    second = (await login(client, account["email"])).json()
    clock.advance(seconds=2)
    body = {"current_password": PASSWORD, "new_password": "a different long passphrase"}
    changed = await client.patch("/api/v1/users/me", json=body, headers=bearer(first))
    assert changed.status_code == 200
    assert (await client.get("/api/v1/users/me", headers=bearer(first))).status_code == 200
    assert (await client.get("/api/v1/users/me", headers=bearer(second))).status_code == 401
    revived = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert revived.status_code == 401  # a refresh does not bring the ended session back
    assert (await login(client, account["email"], "a different long passphrase")).status_code == 200


async def test_invitation_accept_over_the_api(client, account, service):
    tokens = (await login(client, account["email"])).json()
    issued = await client.post(
        "/api/v1/users/invitations",
        json={"email": "Joiner@Example.org", "role": "viewer"},
        headers=bearer(tokens),
    )
    assert issued.status_code == 201
    token = issued.json()["link"].rsplit("/", 1)[1]
    preview = await client.get(f"/api/v1/auth/invite/{token}")
    assert (
        preview.json()["email"] == "joiner@example.org"
        and preview.json()["access_role"] == "viewer"
    )
    accepted = await client.post(
        f"/api/v1/auth/invite/{token}",
        json={"full_name": "Jo Iner", "password": "a fine long passphrase"},
    )
    assert accepted.status_code == 201, accepted.text
    me = await client.get("/api/v1/users/me", headers=bearer(accepted.json()))
    assert me.json()["role"] == "viewer" and me.json()["org_id"] == str(account["org"])
    assert (await client.get(f"/api/v1/auth/invite/{token}")).status_code == 409  # used


async def test_users_list_is_for_org_admins(client, account, service):
    viewer = f"{f.unique('viewer')}@example.org"
    f.make_user(
        service, org_id=account["org"], access_role="viewer", email=viewer, password=PASSWORD
    )
    admin_tokens = (await login(client, account["email"])).json()
    viewer_tokens = (await login(client, viewer)).json()
    team = await client.get("/api/v1/users", headers=bearer(admin_tokens))
    assert team.status_code == 200 and {m["email"] for m in team.json()["members"]} >= {
        account["email"],
        viewer,
    }
    assert (await client.get("/api/v1/users", headers=bearer(viewer_tokens))).status_code == 403
