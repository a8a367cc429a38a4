"""Deck upload: bad files are refused with a clear message and nothing stored; a good deck's
fields are proposed, and the fund changes only when the GP confirms."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import factories as f
from tests.fakes.pdf import DECK, encrypted, text_pdf
from tests.helpers import PASSWORD, csrf_token, post_form, sign_in


@pytest.fixture
def gp(service, settings) -> dict[str, Any]:
    org = f.make_org(service, name=f.unique("Harbor GP"))
    email = f"{f.unique('deck')}@example.org"
    f.make_user(service, org_id=org, access_role="member", email=email, password=PASSWORD)
    fund = f.make_fund(service, org_id=org, name="Harbor Light (working name)", status="draft",
                       strategy=None, target_size_musd=None)  # fmt: skip
    return {"org": org, "email": email, "fund": fund, "storage": settings.data_dir / "storage"}


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def upload(
    client: httpx.AsyncClient, url: str, name: str, data: bytes, content_type: str
) -> httpx.Response:
    headers = {"X-CSRF-Token": await csrf_token(client)}
    return await client.post(url, files={"file": (name, data, content_type)}, headers=headers)


BAD_FILES = [
    ("notes.pdf", b"These are meeting notes, renamed.", "application/pdf", "This is not a PDF"),
    ("deck.pdf", encrypted(text_pdf(DECK)), "application/pdf", "encrypted or password-protected"),
    ("empty.pdf", b"", "application/pdf", "The file is empty"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "application/pdf", "could not read this PDF"),
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * (26 * 1024 * 1024), "application/pdf", "larger than 25 MB"),
]


@pytest.mark.parametrize(("name", "data", "kind", "message"), BAD_FILES, ids=lambda v: str(v)[:12])
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    client, service, gp, name, data, kind, message
):
    await sign_in(client, gp["email"])
    before = service.execute("select count(*) from fund_decks").fetchone()[0]
    page = await upload(client, f"/funds/{gp['fund']}/deck", name, data, kind)
    assert page.status_code == 422 and message in page.text
    api = await upload(client, f"/api/v1/funds/{gp['fund']}/upload-deck", name, data, kind)
    assert api.status_code == 422 and message in api.json()["error"]
    assert api.json()["details"][0]["field"] == "file"
    assert service.execute("select count(*) from fund_decks").fetchone()[0] == before
    assert stored(gp["storage"]) == []


async def test_a_deck_proposes_fields_and_only_confirming_changes_the_fund(client, service, gp):
    await sign_in(client, gp["email"])
    response = await upload(
        client, f"/funds/{gp['fund']}/deck", "Harbor deck.pdf", text_pdf(DECK), "application/pdf"
    )
    assert response.status_code == 303
    review_url = response.headers["location"]
    deck_id = uuid.UUID(review_url.rsplit("/", 1)[1])
    files = stored(gp["storage"])
    assert len(files) == 1 and files[0].parent.name == str(gp["org"])
    assert files[0].read_bytes().startswith(b"%PDF-")
    fund = service.execute(
        "select name, target_size_musd, strategy from funds where id = %s", (gp["fund"],)
    ).fetchone()
    assert fund == ("Harbor Light (working name)", None, None)

    review = await client.get(review_url)
    assert review.status_code == 200
    for proposed in ("Harbor Light Infrastructure Fund III", "750.0", "real_assets/infrastructure",
                     "latin_america", "Harbor Light Infrastructure Fund I"):  # fmt: skip
        assert proposed in review.text

    confirmed = await post_form(
        client,
        f"/funds/{gp['fund']}/decks/{deck_id}/confirm",
        {
            "accept_name": "on",
            "value_name": "Harbor Light Infrastructure Fund III",
            "accept_target_size_musd": "on",
            "value_target_size_musd": "800",
            "accept_strategy": "on",
            "value_strategy": "real_assets/infrastructure",
            "accept_geographies": "on",
            "value_geographies": "latin_america, europe",
            "value_hard_cap_musd": "900",  # not ticked: not applied
        },
    )
    assert confirmed.status_code == 303
    fund = service.execute(
        "select name, target_size_musd, strategy, geographies, hard_cap_musd from funds"
        " where id = %s",
        (gp["fund"],),
    ).fetchone()
    assert fund == ("Harbor Light Infrastructure Fund III", 800, "real_assets/infrastructure",
                    ["latin_america", "europe"], None)  # fmt: skip
    again = await post_form(client, f"/funds/{gp['fund']}/decks/{deck_id}/confirm", {})
    assert again.status_code == 409


async def test_an_invalid_edit_on_the_confirm_screen_keeps_it_and_changes_nothing(
    client, service, gp
):
    await sign_in(client, gp["email"])
    response = await upload(
        client, f"/funds/{gp['fund']}/deck", "deck.pdf", text_pdf(DECK), "application/pdf"
    )
    url = response.headers["location"]
    bad = await post_form(
        client,
        f"{url}/confirm",
        {
            "accept_target_size_musd": "on",
            "value_target_size_musd": "-3",
            "accept_hard_cap_musd": "on",
            "value_hard_cap_musd": "900",
        },  # fmt: skip
    )
    assert bad.status_code == 422 and 'value="-3"' in bad.text
    assert "greater than or equal to 0.01" in bad.text
    assert service.execute(
        "select target_size_musd from funds where id = %s", (gp["fund"],)
    ).fetchone() == (None,)


async def test_the_api_uploads_and_confirms(client, service, gp):
    await sign_in(client, gp["email"])
    response = await upload(
        client,
        f"/api/v1/funds/{gp['fund']}/upload-deck",
        "deck.pdf",
        text_pdf(DECK),
        "application/pdf",
    )
    assert response.status_code == 201
    deck = response.json()
    assert deck["page_count"] == 2 and deck["status"] == "proposed"
    assert deck["proposals"]["hard_cap_musd"]["value"] == 900
    assert 0 < deck["proposals"]["strategy"]["confidence"] <= 1
    confirmed = await client.post(
        f"/api/v1/funds/{gp['fund']}/decks/{deck['id']}/confirm",
        json={"fields": {"hard_cap_musd": 900, "sectors": ["logistics"]}},
        headers={"X-CSRF-Token": await csrf_token(client)},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["hard_cap_musd"] == "900.00"
    assert confirmed.json()["sectors"] == ["logistics"]
    unknown = await client.post(
        f"/api/v1/funds/{gp['fund']}/decks/{deck['id']}/confirm",
        json={"fields": {"status": "closed"}},
        headers={"X-CSRF-Token": await csrf_token(client)},
    )
    assert unknown.status_code == 409  # already confirmed
