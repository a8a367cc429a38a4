"""Prompt templates: `<name>.md` with front matter (name, version, role) and a `$placeholder` body.

The repository copy is the default. When Langfuse is configured, a prompt of the same name and
label there overrides it (fetched once and cached); any failure to fetch falls back to the
repository copy, so prompts never depend on the network.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).parent
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prompt:
    """A named, versioned template."""

    name: str
    version: str
    role: str
    body: str
    source: str = "repo"

    def render(self, **values: str) -> str:
        """The text with `$placeholders` filled (missing ones stay visible, never raise)."""
        return Template(self.body).safe_substitute(**values).strip()

    def variant(self, entity_id: object, variants: int = 2) -> int:
        """A stable A/B bucket for (prompt, entity): the same entity always gets the same one."""
        digest = hashlib.sha256(f"{self.name}:{entity_id}".encode()).digest()
        return digest[0] % variants


def parse(text: str, *, source: str = "repo") -> Prompt:
    """Front matter between `---` lines (key: value), then the body."""
    if not text.startswith("---\n"):
        raise ValueError("a prompt file starts with front matter between --- lines")
    header, body = text[4:].split("\n---\n", 1)
    meta = dict(line.split(":", 1) for line in header.splitlines() if ":" in line)
    meta = {k.strip(): v.strip() for k, v in meta.items()}
    return Prompt(meta["name"], meta["version"], meta.get("role", "main"), body, source)


@cache
def load(name: str) -> Prompt:
    """The repository copy of a prompt."""
    return parse((PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8"))


class PromptSource:
    """Where prompts come from: Langfuse's copy (name and label) when configured, else ours.

    A/B variants: with a `<name>.b.md` beside `<name>.md`, each entity gets one of the two by a
    stable hash, so the same LP always sees the same variant.
    """

    def __init__(
        self, client: object | None = None, *, label: str = "production", folder: Path = PROMPTS_DIR
    ) -> None:
        self.client = client
        self.label = label
        self.folder = folder

    def get(self, name: str, entity_id: object = None) -> Prompt:
        """The prompt to use for `name` (and this entity's A/B bucket)."""
        repo = self._repo(name, entity_id)
        if self.client is None:
            return repo
        try:
            found = self.client.get_prompt(  # type: ignore[attr-defined]
                repo.name, label=self.label, type="text", cache_ttl_seconds=60,
                max_retries=1, fetch_timeout_seconds=3,
            )  # fmt: skip
        except Exception:  # not configured, not found, network: the repository copy stands
            logger.info("prompt_override_unavailable", extra={"prompt": repo.name})
            return repo
        if getattr(found, "is_fallback", False):
            return repo
        body = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"$\1", str(found.prompt))
        version = f"{repo.version}+langfuse.{found.version}"
        return Prompt(repo.name, version, repo.role, body, source="langfuse")

    def _repo(self, name: str, entity_id: object) -> Prompt:
        base = parse((self.folder / f"{name}.md").read_text(encoding="utf-8"))
        variant = self.folder / f"{name}.b.md"
        if entity_id is None or not variant.exists() or base.variant(entity_id) == 0:
            return base
        return parse(variant.read_text(encoding="utf-8"))
