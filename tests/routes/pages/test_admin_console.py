"""The platform console: its overview page, and a platform admin managing an organisation's team."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from tests import factories as f
from tests.helpers import PASSWORD, link_from, post_form, running_client, sign_in


@pytest.fixture
def platform(service):
    email = f"{f.unique('platform')}@example.org"
    f.make_user(service, email=email, password=PASSWORD, is_super_admin=True)
    return email


@pytest.fixture
def org(service):
    org = f.make_org(service, name=f.unique("Console Partners"))
    people = {}
    for role, name in (("admin", "Ada Admin"), ("member", "Max Member")):
        email = f"{f.unique(role)}@example.org"
        f.make_user(service, org_id=org, access_role=role, email=email, password=PASSWORD,
                    full_name=name)  # fmt: skip
        person = service.execute("select id from people where email = %s", (email,)).fetchone()[0]
        people[role] = {"email": email, "person": person}
    f.make_invitation(service, org_id=org, email=f"{f.unique('pending')}@example.org")
    return {"id": org, **people}


def rows(html: str) -> dict[str, str]:
    page = BeautifulSoup(html, "html.parser")
    return {
        r.find("td").get_text(" ", strip=True): r.get_text(" ", strip=True)
        for r in page.select("table tbody tr")
    }


async def test_the_overview_shows_health_figures_and_alerts_needing_attention(
    client, service, platform
):
    f.make_alert(
        service, message="Nightly batch failed: 2 items", incident=f"batch_failed:{uuid.uuid4()}"
    )
    f.make_alert(service, message="Resolved long ago", incident=f"batch_failed:{uuid.uuid4()}",
                 resolved_at=datetime.now(UTC))  # fmt: skip
    # An event (a failed run) never resolves: acknowledging it takes it off the front page.
    f.make_alert(service, message="Seen by an admin", incident=f"batch_failed:{uuid.uuid4()}",
                 acknowledged_at=datetime.now(UTC))  # fmt: skip
    unhandled = service.execute(
        "select count(*) from alerts where resolved_at is null and acknowledged_at is null"
    ).fetchone()[0]
    await sign_in(client, platform)
    response = await client.get("/admin")
    assert response.status_code == 200
    table = rows(response.text)
    assert table["Database"].startswith("Database ok ·")
    assert table["OpenRouter"] == "OpenRouter not configured"
    assert table["Voyage"] == "Voyage not configured"
    assert "Nightly batch failed: 2 items" in response.text
    noun = "alert needs" if unhandled == 1 else "alerts need"
    assert f"{unhandled} {noun} attention" in response.text  # resolved or seen: not counted
    assert "Seen by an admin" not in response.text
    assert "Active users" in table and "Reviews" in table
    assert response.text.count('<svg class="chart"') == 6 and "Requests per day" in response.text
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("a", href="/admin", attrs={"aria-current": "page"})


async def test_the_overview_is_for_platform_admins_only(client, org):
    await sign_in(client, org["admin"]["email"])
    assert (await client.get("/admin")).status_code == 403
    assert (await client.get(f"/admin/organizations/{org['id']}")).status_code == 403
    refused = await post_form(
        client, f"/admin/organizations/{org['id']}/members/{org['member']['person']}/deactivate"
    )
    assert refused.status_code == 403


async def test_a_platform_admin_deactivates_and_reactivates_a_member(
    app, client, service, platform, org, clock
):
    base = f"/admin/organizations/{org['id']}"
    async with running_client(app) as member:
        await sign_in(member, org["member"]["email"])
        assert (await member.get("/dashboard")).status_code == 200
        await sign_in(client, platform)
        listed = await client.get("/admin/organizations")
        assert f'href="{base}"' in listed.text
        page = await client.get(base)
        assert page.status_code == 200
        members = rows(page.text)
        assert "Max Member" in members and "Active" in members["Max Member"]
        assert "pending-" in page.text  # the open invitation
        done = await post_form(client, f"{base}/members/{org['member']['person']}/deactivate")
        assert done.status_code == 200 and "Max Member is deactivated and signed out" in done.text
        after = await member.get("/dashboard")
        assert after.status_code == 303 and after.headers["location"].startswith("/login")
        audit = service.execute(
            "select action, org_id from audit_log where entity_id = %s::text"
            " order by id desc limit 1",
            (org["member"]["person"],),
        ).fetchone()
        assert audit == ("member.deactivated", org["id"])
        restored = await post_form(
            client, f"{base}/members/{org['member']['person']}/role", {"role": "viewer"}
        )
        assert "Max Member is now viewer" in restored.text
    clock.advance(seconds=2)
    async with running_client(app) as member:
        await sign_in(member, org["member"]["email"])
        assert "Signed in as Max Member · viewer" in (await member.get("/dashboard")).text


async def test_the_last_admin_stays_and_bad_ids_change_nothing(client, service, platform, org):
    other = f.make_org(service, name=f.unique("Other Partners"))
    stranger = f"{f.unique('stranger')}@example.org"
    f.make_user(service, org_id=other, access_role="member", email=stranger, password=PASSWORD)
    stranger_person = service.execute(
        "select id from people where email = %s", (stranger,)
    ).fetchone()[0]
    await sign_in(client, platform)
    base = f"/admin/organizations/{org['id']}"
    last = await post_form(client, f"{base}/members/{org['admin']['person']}/deactivate")
    assert last.status_code == 409 and "must keep at least one admin" in last.text
    bad_role = await post_form(
        client, f"{base}/members/{org['member']['person']}/role", {"role": "owner"}
    )
    assert bad_role.status_code == 422 and "Unknown role" in bad_role.text
    # Someone from another organisation, through this organisation's page: not found.
    crossed = await post_form(client, f"{base}/members/{stranger_person}/deactivate")
    assert crossed.status_code == 404
    missing = await client.get(f"/admin/organizations/{uuid.uuid4()}")
    assert missing.status_code == 404
    current = service.execute(
        "select count(*) from employment where person_id in (%s, %s, %s) and is_current",
        (org["admin"]["person"], org["member"]["person"], stranger_person),
    ).fetchone()[0]
    assert current == 3
    roles = service.execute(
        "select access_role from employment where person_id = %s", (org["member"]["person"],)
    ).fetchone()
    assert roles == ("member",)


async def test_a_platform_admin_invites_resends_and_revokes_for_an_organisation(
    client, service, platform
):
    empty = f.make_org(service, name=f.unique("No Members Yet"))
    other = f.make_org(service, name=f.unique("Elsewhere"))
    elsewhere = f.make_invitation(service, org_id=other, email=f"{f.unique('x')}@example.org")
    await sign_in(client, platform)
    base = f"/admin/organizations/{empty}"
    page = await client.get(base)
    assert "No one has accepted an invitation yet." in page.text
    bad = await post_form(client, f"{base}/invitations", {"email": "not-an-email", "role": "admin"})
    soup = BeautifulSoup(bad.text, "html.parser")
    assert bad.status_code == 422 and soup.find(id="email-error")
    assert soup.find(id="email")["value"] == "not-an-email"
    email = f"{f.unique('first-admin')}@example.org"
    invited = await post_form(client, f"{base}/invitations", {"email": email, "role": "admin"})
    assert invited.status_code == 200 and "/invite/" in link_from(invited.text)
    invitation = service.execute(
        "select id, access_role from invitations where org_id = %s", (empty,)
    ).fetchone()
    assert invitation[1] == "admin"
    resent = await post_form(client, f"{base}/invitations/{invitation[0]}/resend")
    assert link_from(resent.text) != link_from(invited.text)
    # Another organisation's invitation, through this organisation's page: not found.
    crossed = await post_form(client, f"{base}/invitations/{elsewhere}/revoke")
    assert crossed.status_code == 404
    revoked = await post_form(client, f"{base}/invitations/{invitation[0]}/revoke")
    assert f"The invitation to {email} is revoked." in revoked.text
    assert service.execute(
        "select count(*) from invitations where id = %s and revoked_at is null", (elsewhere,)
    ).fetchone() == (1,)


async def test_a_suspended_organisation_is_shut_out_by_rls_until_reactivated(
    app, client, service, platform, org, clock
):
    fund = f.make_fund(service, org_id=org["id"], name=f.unique("Suspended Fund"))
    base = f"/admin/organizations/{org['id']}"
    async with running_client(app) as member:
        await sign_in(member, org["member"]["email"])
        assert (await member.get(f"/funds/{fund}")).status_code == 200
        await sign_in(client, platform)
        done = await post_form(client, f"{base}/suspend")
        assert done.status_code == 200 and "is suspended" in done.text
        assert "Reactivate organisation" in done.text
        listed = await client.get("/admin/organizations")
        name = service.execute("select name from organizations where id = %s", (org["id"],))
        assert f'{name.fetchone()[0]}</a> <span class="label label--avoid">suspended' in listed.text
        # Signed out at once; signing in again gives no organisation and no fund.
        after = await member.get("/dashboard")
        assert after.status_code == 303 and after.headers["location"].startswith("/login")
        clock.advance(seconds=2)
        await sign_in(member, org["member"]["email"])
        assert "LPxGP account is suspended" in (await member.get("/dashboard")).text
        assert (await member.get(f"/api/v1/funds/{fund}")).status_code in (403, 404)
        # Row-level security itself hides the organisation's rows from its members.
        user_id = service.execute(
            "select auth_user_id from people where id = %s", (org["member"]["person"],)
        ).fetchone()[0]
        with service.transaction():
            service.execute(
                "select set_config('request.jwt.claims', %s, true),"
                " set_config('role', 'authenticated', true)",
                (f'{{"sub": "{user_id}", "role": "authenticated"}}',),
            )
            visible = service.execute("select count(*) from funds where id = %s", (fund,))
            assert visible.fetchone() == (0,)
            service.execute("reset role")
        again = await post_form(client, f"{base}/reactivate")
        assert "is active again" in again.text
        clock.advance(seconds=2)
        await sign_in(member, org["member"]["email"])
        assert (await member.get(f"/funds/{fund}")).status_code == 200
    actions = [r[0] for r in service.execute(
        "select action from audit_log where entity_id = %s::text order by id", (org["id"],))]  # fmt: skip
    assert actions[-2:] == ["organization.suspended", "organization.reactivated"]
