"""Embedding providers: the local model's quality, Voyage over HTTP with retries."""

from __future__ import annotations

import numpy as np
import pytest

from src.agents.embeddings import (
    LOCAL_DIMS,
    EmbeddingUnavailable,
    LocalEmbeddings,
    VoyageEmbeddings,
)
from tests.fakes.server import serve
from tests.fakes.voyage import FakeVoyage


def cosine(a, b) -> float:
    return float(np.dot(a, b))


async def test_local_model_ranks_a_near_text_above_a_far_one():
    model = LocalEmbeddings()
    anchor, near, far = await model.embed_documents(
        ["growth equity in European healthcare", "mid-market healthcare buyouts in Germany",
         "early-stage crypto infrastructure"]
    )  # fmt: skip
    assert len(anchor) == LOCAL_DIMS
    assert cosine(anchor, near) > 0.5 > 0.2 > cosine(anchor, far)


async def test_local_model_matches_a_mandate_to_the_right_thesis():
    model = LocalEmbeddings()
    query = await model.embed_query("nordic pensions backing first-time healthcare managers")
    relevant, irrelevant = await model.embed_documents([
        "Swedish public pension with an emerging manager programme for healthcare and life sciences funds.",
        "Texas family office buying oil and gas royalties and Permian land.",
    ])  # fmt: skip
    assert cosine(query, relevant) > cosine(query, irrelevant) + 0.2


async def test_long_texts_are_embedded_in_chunks_as_one_unit_vector():
    model = LocalEmbeddings()
    [vector] = await model.embed_documents(["pension " * 1000])
    assert abs(np.linalg.norm(vector) - 1) < 1e-5
    assert await model.embed_documents([]) == []


@pytest.fixture
def voyage():
    fake = FakeVoyage()
    with serve(fake.app()) as url:
        fake.url = f"{url}/v1"
        yield fake, VoyageEmbeddings(api_key="pa-fake-key", model="voyage-finance-2", base_url=f"{url}/v1",
                                     timeout=0.5, retry_delay=0.01)  # fmt: skip


async def test_voyage_embeds_documents_and_queries_with_input_type(voyage):
    fake, provider = voyage
    docs = await provider.embed_documents(["a mandate", "another mandate"])
    query = await provider.embed_query("what I want")
    assert (
        len(docs) == 2 and len(query) == 1024 and docs[0] == pytest.approx(fake.vector("a mandate"))
    )
    assert [r["input_type"] for r in fake.requests] == ["document", "query"]
    assert all(r["model"] == "voyage-finance-2" for r in fake.requests)


async def test_voyage_batches_large_inputs(voyage):
    fake, provider = voyage
    await provider.embed_documents([f"text {i}" for i in range(300)])
    assert [len(r["input"]) for r in fake.requests] == [128, 128, 44]


@pytest.mark.parametrize("failures", [[429], [429, 503], ["slow"], [500, "slow", 429]])
async def test_voyage_retries_rate_limits_outages_and_timeouts(voyage, failures):
    fake, provider = voyage
    fake.failures = list(failures)
    assert len(await provider.embed_query("retry me")) == 1024
    assert len(fake.requests) == len(failures) + 1


async def test_voyage_gives_up_with_a_clear_error(voyage):
    fake, provider = voyage
    fake.failures = [429] * 10
    with pytest.raises(EmbeddingUnavailable, match="did not answer"):
        await provider.embed_query("never")
    assert len(fake.requests) == 4


async def test_voyage_refusals_are_not_retried(voyage):
    fake, _ = voyage
    provider = VoyageEmbeddings(
        api_key="pa-wrong", model="voyage-finance-2", base_url=fake.url, retry_delay=0.01
    )
    with pytest.raises(EmbeddingUnavailable, match="refused"):
        await provider.embed_query("bad key")
    assert len(fake.requests) == 1
