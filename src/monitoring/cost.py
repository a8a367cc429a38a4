"""This month's costs: measured where we can, estimated or fixed where we cannot.

- OpenRouter: the sum of `llm_calls.cost_usd` (OpenRouter reports each call's cost).
- Voyage: estimated from the texts embedded with a Voyage model this month (about four
  characters a token) at COST_VOYAGE_PER_MILLION_TOKENS.
- Railway and Supabase: the fixed monthly amounts from settings (their plans are flat).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel

from src.config import Settings
from src.db.queries import metrics as queries

CHARS_PER_TOKEN = 4


class CostBreakdown(BaseModel):
    """USD per service for one month, and the total."""

    month: str
    openrouter: float
    voyage: float
    voyage_tokens_estimated: int
    railway: float
    supabase: float
    total: float


def month_start(today: date) -> datetime:
    """Midnight UTC on the first of `today`'s month."""
    return datetime(today.year, today.month, 1, tzinfo=UTC)


async def get_monthly_cost_breakdown(
    conn: queries.Conn, settings: Settings, *, today: date | None = None
) -> CostBreakdown:
    """This month's (or `today`'s month's) cost per service."""
    start = month_start(today or datetime.now(UTC).date())
    llm = await queries.llm_cost_since(conn, start)
    characters = await queries.voyage_characters_since(conn, start)
    tokens = characters // CHARS_PER_TOKEN
    voyage = round(tokens / 1_000_000 * settings.cost_voyage_per_million_tokens, 4)
    railway, supabase = settings.cost_railway_monthly_usd, settings.cost_supabase_monthly_usd
    return CostBreakdown(
        month=start.strftime("%Y-%m"), openrouter=round(llm, 4), voyage=voyage,
        voyage_tokens_estimated=tokens, railway=railway, supabase=supabase,
        total=round(llm + voyage + railway + supabase, 2),
    )  # fmt: skip
