"""The bull / bear debate: an explicit state machine with the thresholds of PRODUCT.md.

Round: bull and bear argue in parallel, the synthesizer weighs both. Disagreement = |bull − bear|.
≤ 20: done. > 30 at any round: escalate (high). 21–30: both regenerate with the other's
arguments, up to 3 rounds; still > 20 after round 3: escalate (high). Synthesizer confidence
< 0.5: escalate (medium). A bear's hard exclusion: escalate as a deal breaker (high; the match is
hidden from the GP until a reviewer decides).

Two analysts implement the same three steps: the LLM (prompts in `prompts/`) and the offline
analyst, which argues deterministically from the match's own factor scores and facts. If the
LLM fails part-way (provider down, budget spent, unusable output) the whole debate is rerun
offline and labelled so: one debate never mixes the two.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from pydantic import BaseModel, Field

from src.agents.llm import CallContext, LlmClient, LlmError
from src.agents.prompts import Prompt, load
from src.agents.tracing import Tracing

CONSENSUS: Final = 20.0
ESCALATE_AT: Final = 30.0
MAX_ROUNDS: Final = 3
MIN_CONFIDENCE: Final = 0.5
OFFLINE_MODEL: Final = "offline-analyst-v1"


class Case(BaseModel):
    """One side's argument."""

    score: float = Field(ge=0, le=100)
    confidence: float = Field(ge=0, le=1)
    arguments: list[str] = Field(min_length=1, max_length=8)
    hard_exclusion: str = ""


class Synthesis(BaseModel):
    """The committee's decision."""

    score: float = Field(ge=0, le=100)
    confidence: float = Field(ge=0, le=1)
    recommendation: Literal["pursue", "investigate", "deprioritize", "avoid"]
    explanation: str = Field(min_length=1)
    talking_points: list[str] = Field(min_length=1, max_length=6)
    concerns: list[str] = Field(min_length=1, max_length=6)


class Factor(BaseModel):
    """A factor of the rule score, as both sides see it."""

    label: str
    score: float
    no_data: bool
    facts: list[str]


class DebateFacts(BaseModel):
    """Everything the analysts may use: no personal data, no deck text."""

    fund_name: str
    fund_strategy: str | None
    lp_name: str
    lp_type: str
    rule_score: float
    confidence: float
    factors: list[Factor]
    excluded_by: list[str] = []
    data_quality: float | None = None


@dataclass
class Turn:
    """One agent's output in one round, with what it cost."""

    agent: str
    round: int
    output: dict[str, Any]
    score: float | None
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class Escalation:
    """Why a debate goes to human review."""

    kind: Literal["score_disagreement", "confidence_collapse", "deal_breaker", "data_quality"]
    priority: Literal["low", "medium", "high"]
    summary: str


@dataclass
class DebateResult:
    """The outcome of a debate: every turn, the decision, and an escalation if any."""

    analysis: Literal["llm", "offline"]
    turns: list[Turn]
    rounds: int
    bull: Case
    bear: Case
    synthesis: Synthesis
    escalation: Escalation | None
    model: str
    prompt_version: str
    fallback_reason: str | None = None
    cost_usd: float = field(default=0.0)

    @property
    def disagreement(self) -> float:
        """|bull − bear| of the last round."""
        return abs(self.bull.score - self.bear.score)


class Analyst(Protocol):
    """Bull, bear and synthesizer, by LLM or offline."""

    kind: Literal["llm", "offline"]
    model: str

    async def argue(
        self, side: Literal["bull", "bear"], facts: DebateFacts, rnd: int, other: Case | None
    ) -> tuple[Case, Turn]:
        """One side's case (in later rounds, answering the other side's last case)."""
        ...

    async def synthesize(
        self, facts: DebateFacts, rnd: int, bull: Case, bear: Case
    ) -> tuple[Synthesis, Turn]:
        """The decision."""
        ...


def prompt_version() -> str:
    """The versions of the three prompts, as stored with each debate."""
    return ",".join(f"{n}@{load(n).version}" for n in ("bull", "bear", "synthesizer"))


class OfflineAnalyst:
    """Deterministic analysts built from the match's factors and facts (no network, no key).

    `label` maps a score to the recommendation (the matching engine's own thresholds).
    """

    kind: Literal["llm", "offline"] = "offline"
    model = OFFLINE_MODEL

    def __init__(self, label: Callable[[float], str]) -> None:
        self.label = label

    async def argue(
        self, side: Literal["bull", "bear"], facts: DebateFacts, rnd: int, other: Case | None
    ) -> tuple[Case, Turn]:
        """The strongest honest case for one side from the factor scores."""
        known = [f for f in facts.factors if not f.no_data]
        strong = [f for f in known if f.score >= 70]
        weak = [f for f in known if f.score < 50]
        missing = [f for f in facts.factors if f.no_data]
        rule = facts.rule_score
        n = max(1, len(facts.factors))
        if side == "bull":
            score = rule + 0.5 * (100 - rule) * len(strong) / n
            arguments = [f"{f.label} scores {f.score:.0f}: {f.facts[0]}" for f in strong]
            arguments = arguments or [f"The rule score of {rule:.0f} clears the hard filters."]
            arguments.append(f"{facts.lp_name} passed every hard filter for {facts.fund_name}.")
            exclusion = ""
        else:
            score = rule - 0.5 * rule * (len(weak) + 0.5 * len(missing)) / n
            arguments = [f"{f.label} is weak ({f.score:.0f}): {f.facts[-1]}" for f in weak]
            arguments += [f"No data on {f.label.lower()}: {f.facts[-1]}" for f in missing]
            if facts.data_quality is not None and facts.data_quality < 0.6:
                arguments.append(
                    f"{facts.lp_name}'s profile is only {facts.data_quality:.0%} complete."
                )
            arguments = arguments or ["No factor is weak; the risk is execution, not fit."]
            exclusion = "; ".join(facts.excluded_by)
        if other is not None:
            # Answering the other side: concede 40% of the gap, deterministically.
            score += 0.4 * (other.score - score)
        case = Case(
            score=round(max(0.0, min(100.0, score)), 1),
            confidence=round(min(1.0, 0.4 + 0.6 * len(known) / n), 2),
            arguments=arguments[:6],
            hard_exclusion=exclusion,
        )
        return case, Turn(side, rnd, case.model_dump(), case.score, self.model)

    async def synthesize(
        self, facts: DebateFacts, rnd: int, bull: Case, bear: Case
    ) -> tuple[Synthesis, Turn]:
        """Weigh both cases: the midpoint, less confident the more they disagree."""
        score = round((bull.score + bear.score) / 2, 1)
        gap = abs(bull.score - bear.score)
        confidence = round(max(0.0, min(1.0, facts.confidence * (1 - gap / 100))), 2)
        label = "avoid" if bear.hard_exclusion else self.label(score)
        explanation = (
            f"The bull case puts {facts.lp_name} at {bull.score:.0f} for {facts.fund_name}: "
            f"{bull.arguments[0]}\n\nThe bear case puts it at {bear.score:.0f}: "
            f"{bear.arguments[0]}\n\nWeighing both, the committee scores it {score:.0f} "
            f"({label}) with confidence {confidence:.2f}. This is an offline analysis built "
            "from the match's own data; no language model was used."
        )
        synthesis = Synthesis(
            score=score,
            confidence=confidence,
            recommendation=label,
            explanation=explanation,
            talking_points=bull.arguments[:5],
            concerns=bear.arguments[:5],
        )
        return synthesis, Turn("synthesizer", rnd, synthesis.model_dump(), score, self.model)


class LlmAnalyst:
    """The three agents as LLM calls with the repository prompts."""

    kind: Literal["llm", "offline"] = "llm"

    def __init__(self, client: LlmClient, context: CallContext) -> None:
        self.client = client
        self.context = context
        self.model = client.model_for("main")
        self.used: set[str] = set()

    async def argue(
        self, side: Literal["bull", "bear"], facts: DebateFacts, rnd: int, other: Case | None
    ) -> tuple[Case, Turn]:
        """One side's case from the model."""
        prompt = self._prompt(side, facts)
        feedback = (
            f"Round {rnd}. The other side argued (JSON):\n{other.model_dump_json()}\n"
            "Answer its strongest points; move your score only if they convince you."
            if other is not None
            else ""
        )
        text = prompt.render(facts=facts.model_dump_json(indent=1), feedback=feedback)
        done = await self._ask(prompt, text, Case)
        case = done.value
        if side == "bull":
            case = case.model_copy(update={"hard_exclusion": ""})
        return case, self._turn(side, rnd, case.model_dump(), case.score, done)

    async def synthesize(
        self, facts: DebateFacts, rnd: int, bull: Case, bear: Case
    ) -> tuple[Synthesis, Turn]:
        """The model's decision."""
        prompt = self._prompt("synthesizer", facts)
        text = prompt.render(
            facts=facts.model_dump_json(indent=1),
            bull=bull.model_dump_json(),
            bear=bear.model_dump_json(),
        )
        done = await self._ask(prompt, text, Synthesis)
        return done.value, self._turn(
            "synthesizer", rnd, done.value.model_dump(), done.value.score, done
        )

    def _prompt(self, name: str, facts: DebateFacts) -> Prompt:
        prompt = self.client.prompts.get(name, entity_id=facts.lp_name)
        self.used.add(f"{prompt.name}@{prompt.version}")
        return prompt

    async def _ask(self, prompt: Prompt, text: str, schema: type[Any]) -> Any:
        context = CallContext(
            agent=prompt.name,
            prompt_name=prompt.name,
            prompt_version=prompt.version,
            org_id=self.context.org_id,
            debate_id=self.context.debate_id,
            batch_run_id=self.context.batch_run_id,
        )
        return await self.client.structured(
            role="main", messages=[{"role": "user", "content": text}], schema=schema,
            context=context,
        )  # fmt: skip

    def _turn(self, agent: str, rnd: int, output: dict[str, Any], score: float, done: Any) -> Turn:
        return Turn(agent, rnd, output, score, done.model, done.input_tokens, done.output_tokens,
                    done.cost_usd)  # fmt: skip


async def run(facts: DebateFacts, analyst: Analyst, tracing: Tracing | None = None) -> DebateResult:
    """Run the state machine with one analyst (raises LlmError if an LLM call fails)."""
    tracing = tracing or Tracing(None)
    turns: list[Turn] = []
    bull: Case | None = None
    bear: Case | None = None
    for rnd in range(1, MAX_ROUNDS + 1):
        with tracing.span(f"round {rnd}"):
            (bull_next, bull_turn), (bear_next, bear_turn) = await asyncio.gather(
                analyst.argue("bull", facts, rnd, bear), analyst.argue("bear", facts, rnd, bull)
            )
            bull, bear = bull_next, bear_next
            synthesis, synth_turn = await analyst.synthesize(facts, rnd, bull, bear)
        turns += [bull_turn, bear_turn, synth_turn]
        gap = abs(bull.score - bear.score)
        escalation = _escalation(bear, synthesis, gap, rnd)
        if escalation is not None or gap <= CONSENSUS:
            break
    assert bull is not None and bear is not None
    return DebateResult(
        analysis=analyst.kind,
        turns=turns,
        rounds=rnd,
        bull=bull,
        bear=bear,
        synthesis=synthesis,
        escalation=escalation,
        model=analyst.model,
        prompt_version=(
            ",".join(sorted(getattr(analyst, "used", set()))) or prompt_version()
            if analyst.kind == "llm"
            else OFFLINE_MODEL
        ),
        cost_usd=round(sum(t.cost_usd for t in turns), 6),
    )


def _escalation(bear: Case, synthesis: Synthesis, gap: float, rnd: int) -> Escalation | None:
    if bear.hard_exclusion:
        return Escalation(
            "deal_breaker", "high", f"The bear found a hard exclusion: {bear.hard_exclusion}"
        )
    if gap > ESCALATE_AT:
        return Escalation("score_disagreement", "high",
                          f"Bull and bear are {gap:.0f} points apart in round {rnd}.")  # fmt: skip
    if synthesis.confidence < MIN_CONFIDENCE:
        return Escalation("confidence_collapse", "medium",
                          f"The committee's confidence is {synthesis.confidence:.2f}.")  # fmt: skip
    if gap > CONSENSUS and rnd == MAX_ROUNDS:
        summary = f"Bull and bear are still {gap:.0f} points apart after {rnd} rounds."
        return Escalation("score_disagreement", "high", summary)
    return None


async def debate(
    facts: DebateFacts,
    *,
    llm: LlmClient | None,
    context: CallContext,
    label: Callable[[float], str],
    tracing: Tracing | None = None,
) -> DebateResult:
    """With an LLM when configured; offline when not, or when the LLM fails part-way."""
    if llm is None:
        return await run(facts, OfflineAnalyst(label), tracing)
    try:
        return await run(facts, LlmAnalyst(llm, context), tracing)
    except LlmError as exc:
        result = await run(facts, OfflineAnalyst(label), tracing)
        result.fallback_reason = exc.reason
        return result


def facts_json(facts: DebateFacts) -> str:
    """The facts as the prompts see them (for tests and traces)."""
    return json.dumps(facts.model_dump(), indent=1)
