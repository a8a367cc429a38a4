"""What a run's phases work on: score items, then the debates and pitches those scores call for.

Plans read only the current state (active funds, changed entities, stored matches), so a run
that missed its deadline needs no hand-over: the next run plans what is still missing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from src.db.queries import batch_plan

Conn = AsyncConnection[TupleRow]


async def score_items(
    conn: Conn, *, since: datetime | None, fund: uuid.UUID | None, full_rescore_share: float
) -> list[dict[str, Any]]:
    """Every active fund against every LP, or (with `since`) what changed since then.

    Changed funds are rescored against every LP; changed LPs are scored against each other
    active fund. When more than `full_rescore_share` of the LPs changed, every fund is rescored.
    """
    funds = await batch_plan.active_funds(conn, only=[fund] if fund else None)
    full = [{"phase": "score", "fund_id": f, "priority": batch_plan.STATUS_PRIORITY[s]}
            for f, s, _ in funds]  # fmt: skip
    if since is None:
        return full
    changed_funds, changed_lps = await batch_plan.changed_since(conn, since)
    base = await batch_plan.lp_count(conn)
    if changed_lps and len(changed_lps) > full_rescore_share * max(base, 1):
        return full
    lp_ids = sorted(changed_lps)
    items = []
    for item in full:
        if item["fund_id"] in changed_funds:
            items.append(item)
        elif lp_ids:
            items.append({**item, "lp_ids": lp_ids})
    return items


async def scope(conn: Conn, run_id: uuid.UUID, fund: uuid.UUID | None) -> list[uuid.UUID]:
    """Funds whose matches a run analyses: those it scored, and those a GP asked for."""
    scored = await batch_plan.run_funds(conn, run_id)
    requested = [f for f, _, wanted in await batch_plan.active_funds(conn) if wanted]
    funds = list(dict.fromkeys([*scored, *requested]))
    return [f for f in funds if fund is None or f == fund]


async def analysis_items(
    conn: Conn, phase: str, funds: list[uuid.UUID], per_fund: int
) -> list[dict[str, Any]]:
    """Debate or pitch items for these funds' best matches, raising funds and GP requests first."""
    finder = batch_plan.to_debate if phase == "debate" else batch_plan.to_pitch
    active = {f: (s, wanted) for f, s, wanted in await batch_plan.active_funds(conn, only=funds)}
    items = []
    for f, lp, rank in await finder(conn, funds, per_fund):
        status, wanted = active.get(f, ("", False))
        priority = batch_plan.STATUS_PRIORITY.get(status, 9) * 1000 + (0 if wanted else 500) + rank
        items.append({"phase": phase, "fund_id": f, "lp_org_id": lp, "priority": priority})
    return items
