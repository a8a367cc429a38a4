"""Prompt templates: `<name>.md` with front matter (name, version, role) and a `$placeholder` body.

The repository copy is the default. When Langfuse is configured, a prompt of the same name and
label there overrides it (fetched once and cached); any failure to fetch falls back to the
repository copy, so prompts never depend on the network.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).parent


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
