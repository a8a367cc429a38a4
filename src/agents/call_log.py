"""LLM calls recorded in `llm_calls`, today's spend read from it, and the budget alert."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from src.agents.llm import CallRecord, LlmClient, LlmSettings
from src.agents.prompts import PromptSource
from src.agents.tracing import Tracing
from src.config import Settings
from src.db.queries import metrics
from src.db.tenancy import Pool, service_transaction
from src.monitoring.providers import ProviderStatus, TrackedTransport

BUDGET_ALERT = "llm_daily_budget"


class DbCallLog:
    """The app's and the batch jobs' record of every call to the LLM provider."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def record(self, call: CallRecord) -> None:
        """Store one call (its own short transaction: a failed request keeps its cost)."""
        c = call.context
        async with service_transaction(self.pool) as conn:
            await conn.execute(
                """insert into public.llm_calls (org_id, agent, model, prompt_name, prompt_version,
                     input_tokens, output_tokens, cost_usd, latency_ms, status, error, debate_id,
                     batch_run_id)
                   values (%(org)s, %(agent)s, %(model)s, %(prompt)s, %(version)s, %(tin)s,
                     %(tout)s, %(cost)s, %(latency)s, %(status)s, %(error)s, %(debate)s,
                     %(batch)s)""",
                {
                    "org": c.org_id,
                    "agent": c.agent,
                    "model": call.model,
                    "prompt": c.prompt_name,
                    "version": c.prompt_version,
                    "tin": call.input_tokens,
                    "tout": call.output_tokens,
                    "cost": call.cost_usd,
                    "latency": call.latency_ms,
                    "status": call.status,
                    "error": (call.error or "")[:500] or None,
                    "debate": c.debate_id,
                    "batch": c.batch_run_id,
                },  # fmt: skip
            )

    async def spent_today(self) -> float:
        """USD spent since midnight UTC."""
        async with service_transaction(self.pool) as conn:
            return await metrics.llm_spent_today(conn)

    async def budget_exhausted(self, spent: float, budget: float) -> None:
        """One critical alert per UTC day (the lock makes two racing callers write one row)."""
        async with service_transaction(self.pool) as conn:
            await conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (BUDGET_ALERT,))
            cur = await conn.execute(
                "select 1 from public.alerts where kind = %(k)s"
                " and created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc'",
                {"k": BUDGET_ALERT},
            )
            if await cur.fetchone() is None:
                await conn.execute(
                    "insert into public.alerts (kind, severity, message, details)"
                    " values (%(k)s, 'critical', %(m)s, %(d)s)",
                    {
                        "k": BUDGET_ALERT,
                        "m": f"LLM spend reached the daily budget (${spent:.2f} of ${budget:g});"
                        " analyses run offline until midnight UTC.",
                        "d": Jsonb({"spent_usd": round(spent, 4), "budget_usd": budget}),
                    },
                )


def build_llm(
    settings: Settings,
    pool: Pool,
    tracing: Tracing | None = None,
    status: ProviderStatus | None = None,
) -> LlmClient | None:
    """The app's LLM client when OpenRouter is configured; None = the offline analyst."""
    if settings.openrouter_api_key is None:
        return None
    return LlmClient(
        LlmSettings(
            api_key=settings.openrouter_api_key.get_secret_value(),
            base_url=settings.openrouter_base_url,
            models={"main": settings.llm_model_main, "fast": settings.llm_model_fast},
            timeout_seconds=settings.llm_timeout_seconds,
            max_attempts=settings.llm_max_attempts,
            concurrency=settings.llm_concurrency,
            calls_per_minute=settings.llm_calls_per_minute,
            daily_budget_usd=settings.llm_daily_budget_usd,
            referer=settings.public_url,
        ),
        DbCallLog(pool),
        tracing=tracing,
        prompts=PromptSource(tracing.client if tracing is not None else None),
        transport=TrackedTransport(status) if status is not None else None,
    )
