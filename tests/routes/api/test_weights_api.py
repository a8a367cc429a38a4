"""Platform admins version the scoring weights; a new version expires every match."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.helpers import PASSWORD, csrf_token, post_form, sign_in

RULE = {"sector": 25, "size": 20, "track_record": 15, "esg": 10, "semantic": 30}


@pytest.fixture
def admin(service) -> str:
    email = f"{f.unique('ops')}@example.org"
    f.make_user(service, is_super_admin=True, email=email, password=PASSWORD)
    return email


@pytest.fixture
def restore_weights(service):
    active = service.execute(
        "select version from scoring_weights where is_active order by version"
    ).fetchall()
    yield
    service.execute("update scoring_weights set is_active = false")
    service.execute(
        "update scoring_weights set is_active = true where version = any(%s)",
        ([v[0] for v in active],),
    )


async def test_weights_must_cover_every_factor_and_sum_to_100(client, admin, service):
    await sign_in(client, admin)
    headers = {"X-CSRF-Token": await csrf_token(client)}
    before = service.execute("select count(*) from scoring_weights").fetchone()[0]
    cases = [
        ({**RULE, "sector": 35}, "add up to 100; these add up to 110"),
        ({k: v for k, v in RULE.items() if k != "esg"}, "Please correct"),
        ({**RULE, "esg": -10, "sector": 45}, "Please correct"),
        ({**RULE, "charisma": 0}, "Please correct"),
    ]
    for body, message in cases:
        response = await client.post(
            "/api/v1/admin/scoring-weights", json={"kind": "rule", "weights": body},
            headers=headers,
        )  # fmt: skip
        assert response.status_code == 422 and message in response.json()["error"], body
    assert service.execute("select count(*) from scoring_weights").fetchone()[0] == before


async def test_a_new_version_activates_expires_matches_and_rolls_back(
    client, admin, service, restore_weights
):
    org = f.make_org(service)
    fund = f.make_fund(service, org_id=org)
    f.make_match(service, fund_id=fund, lp_org_id=f.make_lp(service))
    old = service.execute("select version from scoring_weights where kind = 'rule' and is_active")
    old_version = old.fetchone()[0]
    await sign_in(client, admin)
    headers = {"X-CSRF-Token": await csrf_token(client)}
    created = await client.post(
        "/api/v1/admin/scoring-weights",
        json={"kind": "rule", "weights": RULE, "notes": "more sector"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["is_active"]
    live = service.execute(
        "select count(*) from fund_lp_matches where valid_until > now()"
    ).fetchone()[0]
    assert live == 0
    active = service.execute(
        "select version from scoring_weights where kind = 'rule' and is_active"
    ).fetchall()
    assert active == [(created.json()["version"],)]
    page = await post_form(client, f"/admin/weights/{old_version}/activate")
    assert page.status_code == 303
    assert service.execute(
        "select version from scoring_weights where kind = 'rule' and is_active"
    ).fetchall() == [(old_version,)]


async def test_the_weights_page_keeps_a_bad_entry_and_says_why(client, admin, restore_weights):
    await sign_in(client, admin)
    response = await post_form(
        client,
        "/admin/weights",
        {
            "kind": "blend",
            "rule": "50",
            "semantic": "50",
            "debate": "10",
            "collaborative": "0",
        },  # fmt: skip
    )
    assert response.status_code == 422
    assert "these add up to 110" in response.text and 'value="10"' in response.text


async def test_gp_users_cannot_touch_weights(client, service):
    email = f"{f.unique('gp')}@example.org"
    f.make_user(service, org_id=f.make_org(service), access_role="admin", email=email,
                password=PASSWORD)  # fmt: skip
    await sign_in(client, email)
    headers = {"X-CSRF-Token": await csrf_token(client)}
    response = await client.post(
        "/api/v1/admin/scoring-weights", json={"kind": "rule", "weights": RULE}, headers=headers
    )
    assert response.status_code == 403
