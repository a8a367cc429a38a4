"""Prompts: the repository copy, a Langfuse override by name and label, stable A/B variants."""

from __future__ import annotations

import uuid

from langfuse import Langfuse
from opentelemetry.sdk.trace import TracerProvider

from src.agents.prompts import PromptSource, load
from tests.fakes.otlp import Collected, otlp_app
from tests.fakes.server import serve


def test_without_langfuse_the_repository_copy_is_used():
    prompt = PromptSource().get("bull")
    assert prompt == load("bull") and prompt.source == "repo" and prompt.version == "1.0.0"
    assert "$facts" in prompt.body and "LP_FACTS_HERE" in prompt.render(facts="LP_FACTS_HERE")


def test_a_langfuse_prompt_overrides_by_label_and_a_missing_one_falls_back():
    state = Collected(prompts={"bull:production": {"version": 7,
                                                   "prompt": "Argue for it.\n{{facts}}\n{{ feedback }}"}})  # fmt: skip
    with serve(otlp_app(state)) as url:
        client = Langfuse(public_key="pk-lf-p", secret_key="sk-lf-p", base_url=url,
                          tracer_provider=TracerProvider())  # fmt: skip
        source = PromptSource(client)
        bull = source.get("bull")
        bear = source.get("bear")  # not in Langfuse
        client.shutdown()
    assert (bull.source, bull.version) == ("langfuse", "1.0.0+langfuse.7")
    assert bull.render(facts="F", feedback="B") == "Argue for it.\nF\nB"
    assert bear == load("bear")


def test_ab_variants_are_stable_per_entity(tmp_path):
    (tmp_path / "bull.md").write_text("---\nname: bull\nversion: 1.0.0\n---\nA $facts")
    (tmp_path / "bull.b.md").write_text("---\nname: bull\nversion: 1.1.0-b\n---\nB $facts")
    source = PromptSource(folder=tmp_path)
    picks = {
        str(e): source.get("bull", entity_id=e).version for e in (uuid.uuid4() for _ in range(40))
    }
    assert set(picks.values()) == {"1.0.0", "1.1.0-b"}  # both variants are in use
    for entity, version in picks.items():
        assert source.get("bull", entity_id=entity).version == version  # and never flip
    assert source.get("bull").version == "1.0.0"  # no entity: the main version
