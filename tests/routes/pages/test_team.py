"""The team page: invitations from sending to accepting, roles, the last admin, deactivation."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests import factories as f
from tests.helpers import PASSWORD, SESSION_COOKIE, link_from, post_form, running_client, sign_in


@pytest.fixture
def team(service):
    org = f.make_org(service, name=f.unique("Team Partners"))
    admin = f"{f.unique('admin')}@example.org"
    member = f"{f.unique('member')}@example.org"
    f.make_user(
        service,
        org_id=org,
        access_role="admin",
        email=admin,
        password=PASSWORD,
        full_name="Ada Admin",
    )
    f.make_user(
        service,
        org_id=org,
        access_role="member",
        email=member,
        password=PASSWORD,
        full_name="Max Member",
    )

    def person(email: str):
        return service.execute("select id from people where email = %s", (email,)).fetchone()[0]

    return {
        "org": org,
        "admin": admin,
        "member": member,
        "admin_person": person(admin),
        "member_person": person(member),
    }


async def invite(client, email: str, role: str = "member"):
    return await post_form(client, "/team/invitations", {"email": email, "role": role})


async def test_team_page_lists_members_with_roles(client, team):
    await sign_in(client, team["admin"])
    page = BeautifulSoup((await client.get("/team")).text, "html.parser")
    rows = {row.find("td").text.strip(): row for row in page.select("table tbody tr")}
    assert "Ada Admin (you)" in rows and "Max Member" in rows
    assert rows["Max Member"].find("option", selected=True).text == "member"


async def test_invitation_round_trip(app, client, team, service):
    await sign_in(client, team["admin"])
    response = await invite(client, "New.Analyst@Example.org", "viewer")
    assert (
        response.status_code == 200
        and "Invitation sent to new.analyst@example.org" in response.text
    )
    link = link_from(response.text)
    outbox = service.execute(
        "select body from outbox where to_email = 'new.analyst@example.org'"
    ).fetchone()[0]
    assert link in outbox
    path = link.removeprefix("http://127.0.0.1:8000")
    async with running_client(app) as invitee:
        page = await invitee.get(path)
        assert "You have been invited as" in page.text and "viewer" in page.text
        mismatch = await post_form(invitee, path, {"full_name": "Nia Analyst", "password": "a long enough secret",
                                                   "password_confirm": "a different long one"})  # fmt: skip
        assert mismatch.status_code == 422
        kept = BeautifulSoup(mismatch.text, "html.parser")
        assert kept.find("input", attrs={"name": "full_name"})["value"] == "Nia Analyst"
        assert kept.find(id="password_confirm-error")
        done = await post_form(invitee, path, {"full_name": "Nia Analyst", "password": "a long enough secret",
                                               "password_confirm": "a long enough secret"})  # fmt: skip
        assert done.status_code == 303 and SESSION_COOKIE in invitee.cookies
        dashboard = await invitee.get("/dashboard")
        assert "Signed in as Nia Analyst · viewer" in dashboard.text
        assert (await invitee.get(path)).status_code == 409
    assert service.execute(
        "select count(*) from audit_log where action in ('invitation.created', 'invitation.accepted') and org_id = %s",
        (team["org"],),
    ).fetchone() == (2,)


async def test_an_existing_account_cannot_be_invited(client, team):
    await sign_in(client, team["admin"])
    response = await invite(client, team["member"])
    page = BeautifulSoup(response.text, "html.parser")
    assert (
        response.status_code == 409 and "already has an account" in page.find(id="email-error").text
    )
    assert page.find("input", attrs={"name": "email"})["value"] == team["member"]


async def test_one_live_invitation_per_email_and_expiry(client, team, clock, service):
    await sign_in(client, team["admin"])
    email = f"{f.unique('once')}@example.org"
    first = await invite(client, email)
    again = await invite(client, email)
    assert again.status_code == 409 and "open invitation from your team" in again.text
    clock.advance(days=8)
    expired = await client.get(link_from(first.text).removeprefix("http://127.0.0.1:8000"))
    assert expired.status_code == 409 and "expired" in expired.text
    service.execute(
        "update invitations set expires_at = now() - interval '1 day' where email = %s", (email,)
    )
    assert (await invite(client, email)).status_code == 200  # the expired one is replaced


async def test_another_orgs_invitations_neither_block_nor_show(client, team, service):
    other = f.make_org(service)
    stale, live = f"{f.unique('stale')}@example.org", f"{f.unique('live')}@example.org"
    f.make_invitation(service, org_id=other, email=stale, expires_at="2020-01-01T00:00:00Z")
    f.make_invitation(service, org_id=other, email=live)
    await sign_in(client, team["admin"])
    assert (await invite(client, stale)).status_code == 200
    blocked = await invite(client, live)
    assert blocked.status_code == 409 and "cannot be invited right now" in blocked.text
    assert "open invitation" not in blocked.text


async def test_resend_replaces_the_link_and_revoke_kills_it(client, team, service):
    await sign_in(client, team["admin"])
    email = f"{f.unique('resend')}@example.org"
    old_link = link_from((await invite(client, email)).text).removeprefix("http://127.0.0.1:8000")
    invitation = service.execute(
        "select id from invitations where email = %s", (email,)
    ).fetchone()[0]
    resent = await post_form(client, f"/team/invitations/{invitation}/resend")
    new_link = link_from(resent.text).removeprefix("http://127.0.0.1:8000")
    assert new_link != old_link
    assert (await client.get(old_link)).status_code == 404
    assert (await client.get(new_link)).status_code == 200
    await post_form(client, f"/team/invitations/{invitation}/revoke")
    assert (await client.get(new_link)).status_code == 404


async def test_roles_change_but_the_last_admin_stays(client, team, service):
    await sign_in(client, team["admin"])
    promoted = await post_form(
        client, f"/team/members/{team['member_person']}/role", {"role": "admin"}
    )
    assert "is now admin" in promoted.text
    demoted = await post_form(
        client, f"/team/members/{team['member_person']}/role", {"role": "viewer"}
    )
    assert "is now viewer" in demoted.text
    bad = await post_form(client, f"/team/members/{team['member_person']}/role", {"role": "owner"})
    assert bad.status_code == 422
    last = await client.patch(f"/api/v1/users/{team['admin_person']}", json={"role": "member"},
                              headers={"X-CSRF-Token": client.cookies["lpxgp_csrf"]})  # fmt: skip
    assert last.status_code == 409 and "at least one admin" in last.json()["error"]
    changes = service.execute(
        "select details ->> 'to' from audit_log where action = 'member.role_changed' and entity_id = %s "
        "order by id",
        (str(team["member_person"]),),
    ).fetchall()
    assert changes == [("admin",), ("viewer",)]


async def test_deactivation_ends_the_members_session_at_once(app, client, team, clock):
    async with running_client(app) as member:
        await sign_in(member, team["member"])
        assert (await member.get("/dashboard")).status_code == 200
        await sign_in(client, team["admin"])
        done = await post_form(client, f"/team/members/{team['member_person']}/deactivate")
        assert "is deactivated and signed out" in done.text
        after = await member.get("/dashboard")
        assert after.status_code == 303 and after.headers["location"].startswith("/login")
        clock.advance(seconds=2)  # tokens carry whole seconds; sign in again a moment later
        assert (await sign_in(member, team["member"])).status_code == 303  # can sign in…
        assert (
            "not part of an organisation any more" in (await member.get("/dashboard")).text
        )  # …but sees nothing


async def test_a_deactivated_member_can_be_reactivated(app, client, team, clock):
    await sign_in(client, team["admin"])
    await post_form(client, f"/team/members/{team['member_person']}/deactivate")
    page = BeautifulSoup((await client.get("/team")).text, "html.parser")
    assert page.find("button", string="Reactivate")
    restored = await post_form(
        client, f"/team/members/{team['member_person']}/role", {"role": "viewer"}
    )
    assert "is now viewer" in restored.text
    clock.advance(seconds=2)
    async with running_client(app) as member:
        await sign_in(member, team["member"])
        assert "Signed in as Max Member · viewer" in (await member.get("/dashboard")).text


async def test_admins_cannot_deactivate_themselves(client, team):
    await sign_in(client, team["admin"])
    response = await post_form(client, f"/team/members/{team['admin_person']}/deactivate")
    assert response.status_code == 409 and "cannot deactivate yourself" in response.text


async def test_platform_admin_creates_an_organisation_and_invites_its_admin(client, service):
    email = f"{f.unique('platform')}@example.org"
    f.make_user(service, email=email, password=PASSWORD, is_super_admin=True)
    await sign_in(client, email)
    bad = await post_form(
        client,
        "/admin/organizations",
        {"name": "", "website": "nope", "hq_country": "XX", "admin_email": "x"},
    )
    page = BeautifulSoup(bad.text, "html.parser")
    assert bad.status_code == 422 and page.find(id="name-error") and page.find(id="website-error")
    name = f.unique("Fresh Fund Managers")
    created = await post_form(client, "/admin/organizations",
                              {"name": name, "website": "https://fresh.example.org", "hq_country": "DK",
                               "admin_email": f"{f.unique('first')}@example.org"})  # fmt: skip
    assert created.status_code == 200 and "/invite/" in link_from(created.text)
    assert name in created.text
    org = service.execute(
        "select id, hq_country from organizations where name = %s", (name,)
    ).fetchone()
    assert org[1] == "DK"
    assert service.execute(
        "select access_role from invitations where org_id = %s", (org[0],)
    ).fetchone() == ("admin",)
