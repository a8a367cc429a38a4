"""Debates per minute and cost per debate at the default LLM caps, against a fake provider.

Usage: python -m bench.debates [--debates 30] [--latency 1.0] [--concurrency 10] [--per-minute 60]

A fake OpenRouter on 127.0.0.1 answers every call after `--latency` seconds (bull 78, bear 70,
committee 74: consensus in one round, three calls a debate, $0.004 a call). Debates run as the
batch runs them: all at once, throttled only by the client's concurrency cap and calls-per-minute
window. Prints debates per minute, calls, and cost per debate, and the same debate offline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from src.agents.debate import DebateFacts, Factor, debate
from src.agents.llm import CallContext, CallRecord, LlmClient, LlmSettings
from src.services.matching.explain import label_for
from tests.fakes.openrouter import OpenRouterState, Step, openrouter_app
from tests.fakes.server import serve

FACTS = DebateFacts(
    fund_name="Harbor Light Infrastructure Fund III",
    fund_strategy="real_assets/infrastructure",
    lp_name="Nordic Teachers' Pension",
    lp_type="public_pension",
    rule_score=71.5,
    confidence=0.8,
    factors=[
        Factor(label="Sector fit", score=100, no_data=False, facts=["Invests in logistics."]),
        Factor(label="Size fit", score=82, no_data=False, facts=["Typical cheque 4% of fund."]),
        Factor(label="Track record", score=50, no_data=True, facts=["No minimum stated."]),
        Factor(label="ESG", score=100, no_data=False, facts=["Requires ESG; fund has one."]),
        Factor(label="Thesis ↔ mandate", score=64, no_data=False, facts=["Similarity 0.47."]),
    ],
)


class Tally:
    """Counts calls and cost in memory (the app records them in llm_calls)."""

    def __init__(self) -> None:
        self.calls = 0
        self.cost = 0.0

    async def record(self, call: CallRecord) -> None:
        self.calls += 1
        self.cost += call.cost_usd

    async def spent_today(self) -> float:
        return self.cost

    async def budget_exhausted(self, spent: float, budget: float) -> None:
        raise AssertionError("the bench stays under the budget")


def responder(latency: float):
    def respond(body: dict) -> Step:
        text = body["messages"][-1]["content"]
        if "chair the placement committee" in text:
            content = {"score": 74, "confidence": 0.8, "recommendation": "investigate",
                       "explanation": "Both cases weighed.", "talking_points": ["Fit."],
                       "concerns": ["Data gaps."]}  # fmt: skip
        else:
            score = 78 if "bull analyst" in text else 70
            content = {"score": score, "confidence": 0.8, "arguments": ["A fact."],
                       "hard_exclusion": ""}  # fmt: skip
        return Step(content=json.dumps(content), cost=0.004, delay=latency)

    return respond


async def run(args: argparse.Namespace) -> None:
    state = OpenRouterState(responder=responder(args.latency))
    with serve(openrouter_app(state)) as url:
        tally = Tally()
        llm = LlmClient(
            LlmSettings(
                api_key=state.key,
                base_url=f"{url}/api/v1",
                models={"main": "m", "fast": "f"},
                concurrency=args.concurrency,
                calls_per_minute=args.per_minute,
            ),  # fmt: skip
            tally,
        )
        context = CallContext(agent="debate", prompt_name="debate", prompt_version="bench")
        started = time.perf_counter()
        results = await asyncio.gather(
            *(debate(FACTS, llm=llm, context=context, label=label_for) for _ in range(args.debates))
        )
        elapsed = time.perf_counter() - started
        await llm.aclose()
    assert all(r.analysis == "llm" for r in results)
    print(f"{args.debates} debates, {args.latency:g} s per call, concurrency {args.concurrency},"
          f" {args.per_minute} calls/min")  # fmt: skip
    print(f"  {args.debates / elapsed * 60:6.1f} debates per minute ({elapsed:.1f} s)")
    per_debate = tally.cost / args.debates
    print(f"  {tally.calls / args.debates:6.1f} calls and ${per_debate:.4f} per debate")
    started = time.perf_counter()
    for _ in range(100):
        await debate(FACTS, llm=None, context=context, label=label_for)
    offline = (time.perf_counter() - started) / 100 * 1000
    print(f"  offline analyst: {offline:.2f} ms per debate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--debates", type=int, default=30)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--per-minute", type=int, default=60)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
