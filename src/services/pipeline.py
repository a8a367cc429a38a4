"""The pipeline per fund × LP: shortlist, dismiss (and undo), stages, feedback, outcomes.

Stages follow PRODUCT.md: recommended → gp_interested → gp_pursuing → lp_reviewing →
mutual_interest → in_diligence → invested, or gp_passed / lp_passed. A stage moves forward (any
number of steps) or to a pass; a GP's pass can be undone, back to where it was. Every change is
one row in `fund_lp_status`, one event in the activity feed and one audit entry, in the same
transaction.
"""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any, Final, Literal

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from src.db.queries.pipeline import Activity as Activity
from src.db.queries.pipeline import OutreachRow as OutreachRow
from src.db.queries.pipeline import Status, get_status
from src.db.queries.pipeline import outreach as outreach
from src.db.queries.pipeline import recent_activity as recent_activity
from src.db.queries.users import insert_audit
from src.errors import Conflict, InvalidInput, NotFound
from src.services.formatting import csv_cell
from src.services.users import User

Conn = AsyncConnection[TupleRow]

STAGES: Final = (
    "recommended", "gp_interested", "gp_pursuing", "lp_reviewing", "mutual_interest",
    "in_diligence", "invested",
)  # fmt: skip
PASSES: Final = ("gp_passed", "lp_passed")
ALL_STAGES: Final = (*STAGES, *PASSES)
STAGE_LABELS: Final = {
    "recommended": "Recommended",
    "gp_interested": "Interested",
    "gp_pursuing": "Pursuing",
    "lp_reviewing": "LP reviewing",
    "mutual_interest": "Mutual interest",
    "in_diligence": "In diligence",
    "invested": "Invested",
    "gp_passed": "Passed (us)",
    "lp_passed": "Passed (LP)",
}
DISMISS_REASONS: Final = {
    "already_in_contact": "Already in contact",
    "strategy_mismatch": "Strategy mismatch",
    "check_size_too_small": "Check size too small",
    "geographic_mismatch": "Geographic mismatch",
    "other": "Other",
}
OUTCOMES: Final = {
    "committed": "Committed",
    "declined_after_meeting": "Declined after meeting",
    "declined_before_meeting": "Declined before meeting",
    "no_response": "No response",
}
Interest = Literal["interested", "pursuing"]
INTEREST_STAGE: Final = {"interested": "gp_interested", "pursuing": "gp_pursuing"}


async def _fund_org(conn: Conn, fund_id: uuid.UUID, lp_org_id: uuid.UUID, user: User) -> uuid.UUID:
    """The fund's organisation, which must be the user's current one."""
    cur = await conn.execute(
        "select f.org_id, exists (select 1 from public.lp_profiles p where p.org_id = %(lp)s)"
        " from public.funds f where f.id = %(f)s",
        {"f": fund_id, "lp": lp_org_id},
    )
    row = await cur.fetchone()
    if row is None or row[0] != user.org_id:
        raise NotFound("fund", fund_id)
    if not row[1]:
        raise NotFound("LP", lp_org_id)
    return uuid.UUID(str(row[0]))


async def _write(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    lp_org_id: uuid.UUID,
    *,
    kind: str,
    changes: dict[str, Any],
    details: dict[str, Any] | None = None,
) -> Status:
    """Upsert the status with `changes`, and log the event and the audit entry."""
    org_id = await _fund_org(conn, fund_id, lp_org_id, user)
    before = await get_status(conn, fund_id, lp_org_id)
    values = {
        "interest": before.interest if before else None,
        "dismiss_reason": before.dismiss_reason if before else None,
        "stage": before.stage if before else "recommended",
        "next_step": before.next_step if before else None,
        "notes": before.notes if before else None,
        **changes,
    }
    await conn.execute(
        """insert into public.fund_lp_status (fund_id, org_id, lp_org_id, interest,
             dismiss_reason, stage, next_step, notes, last_activity_at, updated_by)
           values (%(f)s, %(org)s, %(lp)s, %(interest)s, %(dismiss_reason)s, %(stage)s,
             %(next_step)s, %(notes)s, now(), %(person)s)
           on conflict (fund_id, lp_org_id) do update set interest = excluded.interest,
             dismiss_reason = excluded.dismiss_reason, stage = excluded.stage,
             next_step = excluded.next_step, notes = excluded.notes,
             last_activity_at = now(), updated_by = excluded.updated_by""",
        {**values, "f": fund_id, "org": org_id, "lp": lp_org_id, "person": user.person_id},
    )
    from_stage = before.stage if before else None
    event = {**(details or {}), **{k: v for k, v in changes.items() if k != "stage"}}
    await conn.execute(
        """insert into public.pipeline_events (org_id, fund_id, lp_org_id, actor_person_id, kind,
             from_stage, to_stage, details)
           values (%(org)s, %(f)s, %(lp)s, %(person)s, %(kind)s, %(from)s, %(to)s, %(details)s)""",
        {
            "org": org_id,
            "f": fund_id,
            "lp": lp_org_id,
            "person": user.person_id,
            "kind": kind,
            "from": from_stage,
            "to": values["stage"],
            "details": Jsonb(event),
        },
    )
    await insert_audit(
        conn,
        action=f"pipeline.{kind}",
        org_id=org_id,
        entity_type="fund_lp",
        entity_id=f"{fund_id}:{lp_org_id}",
        details={"from": from_stage, "to": values["stage"], **event},
    )
    status = await get_status(conn, fund_id, lp_org_id)
    assert status is not None
    return status


async def shortlist(
    conn: Conn, user: User, fund_id: uuid.UUID, lp_org_id: uuid.UUID, interest: str
) -> Status:
    """Mark an LP as interesting or being pursued for a fund."""
    if interest not in INTEREST_STAGE:
        raise InvalidInput(
            f"Unknown interest {interest!r}; accepted: interested, pursuing.",
            details=[{"field": "interest", "message": "Choose interested or pursuing."}],
        )
    current = await get_status(conn, fund_id, lp_org_id)
    _refuse_final(current)
    stage = INTEREST_STAGE[interest]
    if current and current.stage in STAGES and STAGES.index(current.stage) > STAGES.index(stage):
        stage = current.stage  # already further along: keep the stage
    return await _write(
        conn,
        user,
        fund_id,
        lp_org_id,
        kind="interest",
        changes={"interest": interest, "dismiss_reason": None, "stage": stage},
    )


async def dismiss(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    lp_org_id: uuid.UUID,
    reason: str,
    note: str | None = None,
) -> Status:
    """Pass on an LP for this fund, with a reason (undoable with `restore`)."""
    if reason not in DISMISS_REASONS:
        raise InvalidInput(
            f"Unknown reason {reason!r}; accepted: {', '.join(DISMISS_REASONS)}.",
            details=[{"field": "reason", "message": "Choose why you pass on this LP."}],
        )
    current = await get_status(conn, fund_id, lp_org_id)
    _refuse_final(current, allow_gp_pass=True)
    previous = {
        "previous_stage": current.stage if current else "recommended",
        "previous_interest": current.interest if current else None,
    }
    if current is not None and current.interest == "not_interested":
        # Dismissed again (a new reason): undo must still return to where it was before.
        previous = await _last_dismissal(conn, fund_id, lp_org_id)
    return await _write(
        conn,
        user,
        fund_id,
        lp_org_id,
        kind="dismissed",
        changes={"interest": "not_interested", "dismiss_reason": reason, "stage": "gp_passed"},
        details={**previous, "note": (note or "").strip()[:500] or None},
    )


def _refuse_final(current: Status | None, *, allow_gp_pass: bool = False) -> None:
    """An LP that invested or passed stays so: only a GP's own pass may change (or be undone)."""
    if current is None:
        return
    if current.stage == "invested":
        raise Conflict("This LP has invested; its stage is final.")
    if current.stage == "lp_passed":
        raise Conflict("This LP has passed on the fund; record a new outcome to change that.")
    if current.stage == "gp_passed" and not allow_gp_pass:
        raise Conflict("You passed on this LP; restore it first.")


async def _last_dismissal(conn: Conn, fund_id: uuid.UUID, lp_org_id: uuid.UUID) -> dict[str, Any]:
    cur = await conn.execute(
        "select details from public.pipeline_events where fund_id = %(f)s and lp_org_id = %(lp)s"
        " and kind = 'dismissed' order by id desc limit 1",
        {"f": fund_id, "lp": lp_org_id},
    )
    row = await cur.fetchone()
    details = row[0] if row else {}
    return {
        "previous_stage": details.get("previous_stage") or "recommended",
        "previous_interest": details.get("previous_interest"),
    }


async def restore(conn: Conn, user: User, fund_id: uuid.UUID, lp_org_id: uuid.UUID) -> Status:
    """Undo a pass: back to the stage and interest from before it."""
    current = await get_status(conn, fund_id, lp_org_id)
    if current is None or current.interest != "not_interested":
        raise Conflict("This LP is not dismissed for this fund.")
    previous = await _last_dismissal(conn, fund_id, lp_org_id)
    stage = previous["previous_stage"]
    interest = previous["previous_interest"]
    return await _write(
        conn,
        user,
        fund_id,
        lp_org_id,
        kind="restored",
        changes={
            "interest": interest if interest in INTEREST_STAGE else None,
            "dismiss_reason": None,
            "stage": stage if stage in ALL_STAGES and stage != "gp_passed" else "recommended",
        },
    )


async def move(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    lp_org_id: uuid.UUID,
    stage: str,
    *,
    next_step: str | None = None,
) -> Status:
    """Move to a later stage, or to a pass (the LP's pass needs no reason)."""
    if stage not in ALL_STAGES:
        raise InvalidInput(
            f"Unknown stage {stage!r}; accepted: {', '.join(ALL_STAGES)}.",
            details=[{"field": "stage", "message": f"Choose one of {', '.join(ALL_STAGES)}."}],
        )
    if stage == "gp_passed":
        raise InvalidInput(
            "Passing needs a reason: dismiss the LP instead.",
            details=[{"field": "stage", "message": "Use dismiss, with a reason."}],
        )
    current = await get_status(conn, fund_id, lp_org_id)
    now_stage = current.stage if current else "recommended"
    if now_stage in PASSES:
        raise Conflict(f"This LP has passed ({STAGE_LABELS[now_stage]}); restore it first.")
    if now_stage == "invested":
        raise Conflict("This LP has invested; its stage is final.")
    if stage in STAGES and STAGES.index(stage) < STAGES.index(now_stage):
        raise Conflict(f"The LP is already at {STAGE_LABELS[now_stage]}; stages only move forward.")
    changes: dict[str, Any] = {"stage": stage}
    if stage in STAGES and STAGES.index(stage) >= STAGES.index("gp_pursuing"):
        changes["interest"] = "pursuing"
    elif stage == "gp_interested":
        changes["interest"] = "interested"
    if next_step is not None and next_step.strip():
        changes["next_step"] = next_step.strip()[:500]
    return await _write(conn, user, fund_id, lp_org_id, kind="stage", changes=changes)


async def set_notes(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    lp_org_id: uuid.UUID,
    notes: str,
    next_step: str | None = None,
) -> Status:
    """Replace the notes (and next step) of an LP in a fund's pipeline."""
    if len(notes) > 5000:
        raise InvalidInput(
            "Notes are limited to 5,000 characters.",
            details=[{"field": "notes", "message": "At most 5,000 characters."}],
        )
    changes: dict[str, Any] = {"notes": notes.strip() or None}
    if next_step is not None:
        changes["next_step"] = next_step.strip()[:500] or None
    return await _write(conn, user, fund_id, lp_org_id, kind="note", changes=changes)


async def record_outcome(
    conn: Conn,
    user: User,
    fund_id: uuid.UUID,
    lp_org_id: uuid.UUID,
    outcome: str,
    *,
    amount_musd: Decimal | None = None,
    notes: str | None = None,
) -> Status:
    """Record how an approach ended (feeds the monthly retrain); moves the stage to match."""
    if outcome not in OUTCOMES:
        raise InvalidInput(
            f"Unknown outcome {outcome!r}; accepted: {', '.join(OUTCOMES)}.",
            details=[{"field": "outcome", "message": f"Choose one of {', '.join(OUTCOMES)}."}],
        )
    if amount_musd is not None and not (amount_musd.is_finite() and 0 < amount_musd <= 1_000_000):
        raise InvalidInput(
            "The amount must be above 0 and at most $1,000,000m.",
            details=[{"field": "amount_musd", "message": "Above 0, in $ millions."}],
        )
    org_id = await _fund_org(conn, fund_id, lp_org_id, user)
    current = await get_status(conn, fund_id, lp_org_id)
    if current is not None and current.interest == "not_interested":
        raise Conflict("You passed on this LP; restore it before recording an outcome.")
    await conn.execute(
        """insert into public.match_outcomes (fund_id, org_id, lp_org_id, outcome, amount_musd,
             notes, recorded_by)
           values (%(f)s, %(org)s, %(lp)s, %(outcome)s, %(amount)s, %(notes)s, %(person)s)
           on conflict (fund_id, lp_org_id) do update set outcome = excluded.outcome,
             amount_musd = excluded.amount_musd, notes = excluded.notes,
             recorded_by = excluded.recorded_by, recorded_at = now()""",
        {
            "f": fund_id,
            "org": org_id,
            "lp": lp_org_id,
            "outcome": outcome,
            "amount": amount_musd if outcome == "committed" else None,
            "notes": (notes or "").strip()[:2000] or None,
            "person": user.person_id,
        },
    )
    stage = "invested" if outcome == "committed" else "lp_passed"
    changes: dict[str, Any] = {"stage": stage}
    if outcome == "committed":
        changes["interest"] = "pursuing"
    return await _write(
        conn,
        user,
        fund_id,
        lp_org_id,
        kind="outcome",
        changes=changes,
        details={"outcome": outcome, "amount_musd": str(amount_musd) if amount_musd else None},
    )


async def feedback(
    conn: Conn, user: User, match_id: uuid.UUID, rating: int, comment: str | None = None
) -> int:
    """Thumbs up (1) or down (-1) on a match, with an optional reason."""
    if rating not in (-1, 1):
        raise InvalidInput(
            "Rating must be 1 (thumbs up) or -1 (thumbs down).",
            details=[{"field": "rating", "message": "Use 1 or -1."}],
        )
    cur = await conn.execute(
        "select fund_id, lp_org_id, org_id from public.fund_lp_matches where id = %(id)s",
        {"id": match_id},
    )
    row = await cur.fetchone()
    if row is None or row[2] != user.org_id:
        raise NotFound("match", match_id)
    comment = (comment or "").strip()[:1000] or None
    # One opinion per person and match: a second click replaces the first (the retrain counts
    # people, not clicks).
    await conn.execute(
        "delete from public.match_feedback where match_id = %(m)s and person_id = %(person)s",
        {"m": match_id, "person": user.person_id},
    )
    await conn.execute(
        "insert into public.match_feedback (match_id, org_id, person_id, rating, comment)"
        " values (%(m)s, %(org)s, %(person)s, %(rating)s, %(comment)s)",
        {
            "m": match_id,
            "org": row[2],
            "person": user.person_id,
            "rating": rating,
            "comment": comment,
        },  # fmt: skip
    )
    await conn.execute(
        """insert into public.pipeline_events (org_id, fund_id, lp_org_id, actor_person_id, kind,
             details) values (%(org)s, %(f)s, %(lp)s, %(person)s, 'feedback', %(details)s)""",
        {
            "org": row[2],
            "f": row[0],
            "lp": row[1],
            "person": user.person_id,
            "details": Jsonb({"rating": rating, "comment": comment}),
        },
    )
    await insert_audit(
        conn,
        action="match.feedback",
        org_id=row[2],
        entity_type="match",
        entity_id=match_id,
        details={"rating": rating},
    )
    return rating


SHORTLIST_COLUMNS: Final = (
    "lp", "lp_type", "score", "interest", "stage", "next_step", "notes", "last_activity_at",
)  # fmt: skip


def shortlist_csv(rows: list[OutreachRow]) -> str:
    """A fund's shortlist as CSV (formula-safe cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SHORTLIST_COLUMNS)
    for r in rows:
        values = (r.lp_name, r.lp_type, r.score, r.interest, r.stage, r.next_step, r.notes,
                  r.last_activity_at.isoformat())  # fmt: skip
        writer.writerow([csv_cell(v) for v in values])
    return buffer.getvalue()
