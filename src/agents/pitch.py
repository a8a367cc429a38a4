"""Pitch drafts: a writer and a critic, by LLM or offline, with the critic's gate.

Critic score ≥ 85: approved. 70–84: approved with the critic's notes. 50–69: rewritten with the
notes (at most 3 drafts). < 50: rejected (rewritten too while drafts remain). The offline writer
composes the draft from the fund's and the match's facts; the offline critic checks length, that
both names appear, and that nothing is left unfilled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

from pydantic import BaseModel, Field

from src.agents.llm import CallContext, LlmClient, LlmError
from src.agents.prompts import load

T = TypeVar("T", bound=BaseModel)
Kind = Literal["email", "summary"]
Tone = Literal["formal", "warm", "direct"]
WORDS: Final = {"email": (150, 200), "summary": (300, 500)}
MAX_DRAFTS: Final = 3
OFFLINE_MODEL: Final = "offline-writer-v1"


class PitchFacts(BaseModel):
    """What a pitch may say: the fund, the LP and why they fit (no personal data)."""

    fund_name: str
    strategy: str
    target: str
    geographies: list[str]
    sectors: list[str]
    thesis: str
    track_record: list[str]
    team: str
    emerging: bool
    esg_policy: bool
    lp_name: str
    lp_type: str
    status: str = "raising"
    first_close: str | None = None
    fit: list[str] = Field(default_factory=list)
    concerns: list[str] = Field(default_factory=list)


class Draft(BaseModel):
    """A subject (or title) and a body."""

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=8000)


class Review(BaseModel):
    """The critic's verdict."""

    score: float = Field(ge=0, le=100)
    notes: list[str] = Field(default_factory=list, max_length=6)


@dataclass
class PitchResult:
    """The final draft, how the critic judged it, and what was used."""

    draft: Draft
    review: Review
    verdict: Literal["approved", "approved_with_notes", "needs_edits", "rejected"]
    drafts: int
    generated_by: Literal["llm", "offline"]
    model: str
    prompt_version: str
    fallback_reason: str | None = None
    history: list[dict[str, object]] = field(default_factory=list)


def words(text: str) -> int:
    """Words as a reader counts them."""
    return len(re.findall(r"[\w’'-]+", text))


def verdict_for(score: float) -> Literal["approved", "approved_with_notes", "rewrite", "rejected"]:
    """The critic's gate."""
    if score >= 85:
        return "approved"
    if score >= 70:
        return "approved_with_notes"
    if score >= 50:
        return "rewrite"
    return "rejected"


GREETING = {"formal": "Dear {lp} team,", "warm": "Hello {lp} team,", "direct": "{lp} team,"}
CLOSING = {
    "formal": "We would be grateful for the opportunity to present the fund in more detail.\n\n"
    "Yours sincerely,",
    "warm": "We would love to walk you through the fund over a call in the coming weeks.\n\n"
    "Warm regards,",
    "direct": "Can we set up 30 minutes in the next two weeks?\n\nBest,",
}


def offline_draft(facts: PitchFacts, kind: Kind, tone: Tone) -> Draft:
    """A draft composed from the facts alone, trimmed to the kind's word range.

    Every sentence states a fact from the fund, the LP or the match; nothing is invented to
    reach a length. A draft the facts cannot fill stays short, and the critic says so.
    """
    low, high = WORDS[kind]
    regions = ", ".join(facts.geographies) or "its target markets"
    sectors = ", ".join(facts.sectors) or "its chosen sectors"
    record = "; ".join(facts.track_record) or "This is our first institutional fund."
    timing = f"We are {facts.status} now" + (
        f", with a first close planned for {facts.first_close}." if facts.first_close else "."
    )
    lines = {
        "intro": f"We are raising {facts.fund_name}, a {facts.target} {facts.strategy} fund "
        f"investing in {sectors} across {regions}.",
        "thesis": facts.thesis,
        "fit": " ".join(facts.fit),
        "record": f"Track record: {record}",
        "extras": " ".join(
            text
            for text, present in (
                ("The fund operates under a written ESG policy.", facts.esg_policy),
                ("This is an emerging-manager fund.", facts.emerging),
            )
            if present
        ),
    }
    if kind == "email":
        subject = f"{facts.fund_name}: {facts.strategy} for {facts.lp_name}"
        paragraphs = [
            GREETING[tone].format(lp=facts.lp_name),
            f"{lines['intro']} {lines['thesis']}",
            f"Why we are writing to {facts.lp_name}: {lines['fit']} {lines['record']}",
            f"{lines['extras']} {timing}",
            CLOSING[tone],
        ]
    else:
        subject = f"{facts.fund_name} — executive summary for {facts.lp_name}"
        paragraphs = [
            f"Introduction\n{lines['intro']} {lines['thesis']}",
            f"Strategy alignment\n{lines['fit']} The fund targets {sectors} in {regions}, and "
            f"{facts.lp_name}, a {facts.lp_type.lower()}, allocates to {facts.strategy}.",
            f"Track record\n{lines['record']}",
            f"Team\n{facts.team}" if facts.team else "",
            f"Why now\n{timing} {lines['extras']}",
        ]
    body = "\n\n".join(" ".join(p.split(" ")).strip() for p in paragraphs if p.strip())
    if words(body) > high:
        kept: list[str] = []
        for sentence in re.split(r"(?<=[.!?])\s+", body):
            if words(" ".join(kept + [sentence])) > high:
                break
            kept.append(sentence)
        body = " ".join(kept)
    return Draft(subject=subject[:200], body=body)


def offline_review(facts: PitchFacts, kind: Kind, draft: Draft) -> Review:
    """Length, both names, nothing unfilled."""
    low, high = WORDS[kind]
    count = words(draft.body)
    notes = []
    score = 95.0
    if not low <= count <= high:
        score -= 25
        notes.append(f"The body has {count} words; aim for {low}-{high}.")
    for name in (facts.lp_name, facts.fund_name):
        if name not in draft.body and name not in draft.subject:
            score -= 20
            notes.append(f"Name {name} in the text.")
    if re.search(r"[{}]|\bTODO\b|\[.*?\]", draft.body):
        score -= 40
        notes.append("Fill in every placeholder.")
    return Review(score=max(0.0, score), notes=notes)


async def write(
    facts: PitchFacts,
    kind: Kind,
    tone: Tone,
    *,
    llm: LlmClient | None,
    context: CallContext,
) -> PitchResult:
    """Draft, review, and rewrite with the notes until the gate passes or drafts run out."""
    if llm is not None:
        try:
            return await _loop(facts, kind, tone, llm, context)
        except LlmError as exc:
            result = await _loop(facts, kind, tone, None, context)
            result.fallback_reason = exc.reason
            return result
    return await _loop(facts, kind, tone, None, context)


async def _loop(
    facts: PitchFacts, kind: Kind, tone: Tone, llm: LlmClient | None, context: CallContext
) -> PitchResult:
    notes: list[str] = []
    history: list[dict[str, object]] = []
    source = llm.prompts if llm is not None else None
    writer = source.get("pitch_writer", facts.lp_name) if source else load("pitch_writer")
    critic = source.get("pitch_critic", facts.lp_name) if source else load("pitch_critic")
    low, high = WORDS[kind]
    length = (
        f"The body must be {low}-{high} words."
        + (" Use the sections Introduction, Strategy alignment, Track record, Team, Why now."
           if kind == "summary" else " Start with the subject line idea, then the email.")
    )  # fmt: skip
    for attempt in range(1, MAX_DRAFTS + 1):
        if llm is None:
            draft = offline_draft(facts, kind, tone)
            review = offline_review(facts, kind, draft)
        else:
            feedback = (
                ("The reviewer asked for these fixes:\n- " + "\n- ".join(notes)) if notes else ""
            )
            text = writer.render(kind="executive summary" if kind == "summary" else "cold email",
                                 tone=tone, length=length, facts=facts.model_dump_json(indent=1),
                                 feedback=feedback)  # fmt: skip
            draft = await _ask(llm, "main", text, Draft, _ctx(context, writer))
            check = critic.render(tone=tone, length=f"{low}-{high} words",
                                  facts=facts.model_dump_json(indent=1),
                                  draft=json.dumps(draft.model_dump()))  # fmt: skip
            review = await _ask(llm, "fast", check, Review, _ctx(context, critic))
        gate = verdict_for(review.score)
        history.append({"draft": attempt, "score": review.score, "verdict": gate})
        if gate in ("approved", "approved_with_notes") or attempt == MAX_DRAFTS:
            final = "needs_edits" if gate == "rewrite" else gate
            return PitchResult(
                draft=draft, review=review, verdict=final, drafts=attempt,
                generated_by="llm" if llm else "offline",
                model=llm.model_for("main") if llm else OFFLINE_MODEL,
                prompt_version=f"{writer.name}@{writer.version},{critic.name}@{critic.version}",
                history=history,
            )  # fmt: skip
        notes = review.notes or ["Tighten the draft and tie it to this LP's mandate."]
    raise AssertionError("unreachable")


async def _ask(
    llm: LlmClient, role: Literal["main", "fast"], text: str, schema: type[T], context: CallContext
) -> T:
    done = await llm.structured(
        role=role, messages=[{"role": "user", "content": text}], schema=schema, context=context
    )
    return done.value


def _ctx(context: CallContext, prompt: object) -> CallContext:
    name = getattr(prompt, "name", "pitch")
    version = getattr(prompt, "version", "")
    return CallContext(agent=name, prompt_name=name, prompt_version=version,
                       org_id=context.org_id, batch_run_id=context.batch_run_id)  # fmt: skip
