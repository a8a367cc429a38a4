"""The embed job, and natural-language LP search built on its vectors."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from src.agents.embed import embed_pending, main
from src.agents.embeddings import LOCAL_MODEL, LocalEmbeddings
from src.config import get_settings
from tests import factories as f
from tests.fakes.server import serve
from tests.fakes.voyage import FakeVoyage
from tests.helpers import PASSWORD, running_client, sign_in

RELEVANT = "Swedish public pension with an emerging manager programme for healthcare and life-science funds."
IRRELEVANT = "Texas family office buying oil and gas royalties and Permian ranch land."


def stored(db) -> dict:
    with psycopg.connect(db.admin_url) as conn:
        return {
            row[0]: row[1]
            for row in conn.execute(
                "select entity_id, text_hash from embeddings where model = %s", (LOCAL_MODEL,)
            )
        }


async def test_embed_pending_stores_vectors_once_and_redoes_changed_texts(empty_db, pool):
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        first = f.make_lp(conn, mandate_text=RELEVANT)
        second = f.make_lp(conn, mandate_text=IRRELEVANT)
        f.make_lp(conn, mandate_text=None)  # nothing to embed
        fund = f.make_fund(
            conn, org_id=f.make_org(conn), thesis="Healthcare buyouts in the Nordics."
        )
    progress = await embed_pending(pool, LocalEmbeddings())
    assert (progress.done, progress.total, progress.error) == (3, 3, None)
    before = stored(empty_db)
    assert set(before) == {first, second, fund}
    assert (await embed_pending(pool, LocalEmbeddings())).total == 0  # nothing left to do
    with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
        conn.execute(
            "update lp_profiles set mandate_text = %s where org_id = %s",
            (RELEVANT + " Also infra.", first),
        )
    assert (await embed_pending(pool, LocalEmbeddings())).done == 1
    after = stored(empty_db)
    assert after[first] != before[first] and after[second] == before[second]


def test_embed_command_reports_and_exits_cleanly(empty_db, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", empty_db.app_url)
    get_settings.cache_clear()
    try:
        with psycopg.connect(empty_db.admin_url, autocommit=True) as conn:
            f.make_lp(conn, mandate_text=RELEVANT)
        assert main(["--dry-run"]) == 0
        assert "1 texts need a all-minilm-l6-v2-int8 vector" in capsys.readouterr().out
        assert main([]) == 0
        out = capsys.readouterr().out
        assert '{"done": 1, "total": 1}' in out and "Embedded 1 of 1" in out
    finally:
        get_settings.cache_clear()


@pytest.fixture
def semantic_world(service):
    relevant = f.make_lp(
        service,
        org={"name": f.unique("Semantic Relevant")},
        mandate_text=RELEVANT,
        lp_type="public_pension",
    )
    irrelevant = f.make_lp(
        service,
        org={"name": f.unique("Semantic Irrelevant")},
        mandate_text=IRRELEVANT,
        lp_type="public_pension",
    )
    email = f"{f.unique('sem')}@example.org"
    f.make_user(
        service, org_id=f.make_org(service), access_role="viewer", email=email, password=PASSWORD
    )
    return relevant, irrelevant, email


async def test_semantic_search_ranks_the_relevant_mandate_first(app, semantic_world, settings):
    relevant, irrelevant, email = semantic_world
    async with running_client(app) as http:
        await embed_pending(app.state.pool, app.state.embeddings)
        await sign_in(http, email)
        body = {
            "semantic": "nordic pensions backing first-time healthcare managers",
            "type": ["public_pension"],
        }
        response = await http.post(
            "/api/v1/lps/semantic-search",
            json=body,
            headers={"X-CSRF-Token": http.cookies["lpxgp_csrf"]},
        )
    result = response.json()
    ids = [item["org_id"] for item in result["items"]]
    assert response.status_code == 200 and result["semantic_model"] == LOCAL_MODEL
    assert ids.index(str(relevant)) < ids.index(str(irrelevant))
    top = next(item for item in result["items"] if item["org_id"] == str(relevant))
    assert top["similarity"] > 0.3


async def test_an_embedding_outage_is_a_503_with_a_message_not_a_500(make_app, semantic_world):
    _, _, email = semantic_world
    fake = FakeVoyage(failures=[429] * 10)
    with serve(fake.app()) as url:
        app = make_app(voyage_api_key="pa-fake-key", voyage_base_url=f"{url}/v1")
        async with running_client(app) as http:
            app.state.embeddings.retry_delay = 0.01
            await sign_in(http, email)
            api = await http.get("/api/v1/lps", params={"semantic": "healthcare pensions"})
            page = await http.get("/lps", params={"semantic": "healthcare pensions"})
    assert api.status_code == 503 and "embedding service is not answering" in api.json()["error"]
    assert page.status_code == 503 and "keyword search" in page.text
    assert len(fake.requests) == 8  # four attempts per search
    assert dataclasses.is_dataclass(app.state.indexing)


async def test_semantic_results_say_when_indexing_is_still_running(app, semantic_world):
    _, _, email = semantic_world
    async with running_client(app) as http:
        await sign_in(http, email)
        app.state.indexing.running, app.state.indexing.done, app.state.indexing.total = True, 12, 40
        during = (await http.get("/api/v1/lps", params={"semantic": "healthcare pensions"})).json()
        page = await http.get("/lps", params={"semantic": "healthcare pensions"})
        app.state.indexing.running = False
        after = (await http.get("/api/v1/lps", params={"semantic": "healthcare pensions"})).json()
    assert during["indexing"] == {"done": 12, "total": 40} and after["indexing"] is None
    assert "Indexing mandates: 12 / 40" in page.text
