"""The debate and pitch phases: one (fund, LP) per item, under the LLM caps and daily budget.

The LLM work happens outside any transaction; its results are stored in the transaction that
marks the item done, and only while this worker still holds the item. A debate row is created
once per item and remembered on it, so a retried item reuses it instead of leaving a second,
forever "running" debate behind.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from src.agents.llm import LlmClient
from src.db.queries import batch as queue
from src.db.queries import debates as debate_queries
from src.db.queries import matches as match_queries
from src.db.queries.batch import Item
from src.services import debates, pitches

logger = logging.getLogger(__name__)
Conn = AsyncConnection[TupleRow]
Transaction = Callable[[], AbstractAsyncContextManager[Conn]]
NOBODY: Final = uuid.UUID(int=0)
BUDGET_REASON: Final = "the daily LLM budget is spent: the match keeps its rule-based analysis"


class Analysis:
    """Debates and pitch drafts for one worker of a run."""

    def __init__(
        self, transaction: Transaction, llm: LlmClient | None, *, run_id: uuid.UUID, worker: str
    ) -> None:
        self.transaction = transaction
        self.llm = llm
        self.run_id = run_id
        self.worker = worker

    async def _match(self, conn: Conn, item: Item) -> match_queries.MatchRow | None:
        assert item.lp_org_id is not None
        return await match_queries.get_match_for(
            conn, fund_id=item.fund_id, lp_org_id=item.lp_org_id, person_id=NOBODY
        )

    async def _budget_spent(self) -> bool:
        """Whether today's LLM spend reached the budget (raising the day's alert once)."""
        if self.llm is None:
            return False
        spent, budget = await self.llm.log.spent_today(), self.llm.settings.daily_budget_usd
        if spent < budget:
            return False
        await self.llm.log.budget_exhausted(spent, budget)
        return True

    async def debate(self, item: Item) -> bool:
        """Debate the match (LLM, or offline), store it, mark the item done."""
        async with self.transaction() as conn:
            # The stored result, not the claimed copy: a retry after a lost connection must
            # see the debate row an earlier attempt created.
            stored = await queue.claimed_result(conn, item.id, self.worker)
            if stored is None:
                return False
            match = await self._match(conn, item)
            known = stored.get("debate_id")
            status = await debate_queries.debate_status(conn, uuid.UUID(known)) if known else None
            if (
                match is None
                or status in ("completed", "escalated")
                or (match.debate_score is not None and not known)
                # A GP started this match's analysis from its page a moment ago.
                or await debate_queries.running_elsewhere(
                    conn,
                    fund_id=item.fund_id,
                    lp_org_id=match.lp_org_id,
                    except_id=uuid.UUID(known) if known else None,
                )  # fmt: skip
            ):
                await queue.finish_item(conn, item.id, status="done", result={"unchanged": 1})
                return True
            if await self._budget_spent():
                await queue.finish_item(conn, item.id, status="skipped", result={},
                                        error=BUDGET_REASON)  # fmt: skip
                await queue.skip_pending(conn, self.run_id, "debate", BUDGET_REASON)
                return True
            quality = await debate_queries.data_quality(conn, match.lp_org_id)
            if status is None:
                debate_id = await debate_queries.insert_debate(
                    conn, fund_id=match.fund_id, org_id=match.org_id, lp_org_id=match.lp_org_id
                )
                await queue.save_progress(conn, item.id, {"debate_id": str(debate_id)})
            else:
                debate_id = uuid.UUID(known)
        result = await debates.analyse(match, quality, debate_id, self.llm,
                                       batch_run_id=self.run_id)  # fmt: skip
        async with self.transaction() as conn:
            if not await queue.still_mine(conn, item.id, self.worker):
                return False
            await debates.store(conn, debate_id, match, result)
            offline = result.analysis == "offline"
            await queue.finish_item(conn, item.id, status="done", result={
                "debates": 1, "offline_analyses": int(offline), "llm_analyses": int(not offline),
                "escalations": int(result.escalation is not None),
                "fallbacks": int(result.fallback_reason is not None),
            })  # fmt: skip
        return True

    async def pitch(self, item: Item) -> bool:
        """Write and review an email draft for the match if it has no pitch yet."""
        async with self.transaction() as conn:
            if not await queue.still_mine(conn, item.id, self.worker):
                return False
            match = await self._match(conn, item)
            if match is None or await _has_pitch(conn, match.id):
                await queue.finish_item(conn, item.id, status="done", result={"unchanged": 1})
                return True
            facts = await pitches.facts_of(conn, match)
        result = await pitches.write(match, facts, "email", "warm", llm=self.llm,
                                     batch_run_id=self.run_id)  # fmt: skip
        async with self.transaction() as conn:
            if not await queue.still_mine(conn, item.id, self.worker):
                return False
            if await _has_pitch(conn, match.id):
                outcome = {"unchanged": 1}
            elif result.verdict == "rejected":
                outcome = {"pitches_rejected": 1}
            else:
                await pitches.save(conn, match, "email", "warm", result, None)
                outcome = {"pitches": 1, "offline_pitches": int(result.generated_by == "offline")}
            await queue.finish_item(conn, item.id, status="done", result=outcome)
        return True


async def _has_pitch(conn: Conn, match_id: uuid.UUID) -> bool:
    cur = await conn.execute(
        "select exists (select 1 from public.pitches where match_id = %(m)s)", {"m": match_id}
    )
    row = await cur.fetchone()
    return bool(row and row[0])
