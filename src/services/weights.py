"""Versioned scoring weights: rule-score factors and the final-score blend, each summing to 100.

A new version is a new row; activating one deactivates the previous in the same transaction and
expires every match, so the next view or batch rescores with the new weights. Older versions stay
for rollback (activate them again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from src.db.queries.users import insert_audit
from src.errors import InvalidInput, NotFound
from src.services.users import User

Conn = AsyncConnection[TupleRow]
Kind = Literal["rule", "blend"]
KEYS: Final = {
    "rule": ("sector", "size", "track_record", "esg", "semantic"),
    "blend": ("rule", "semantic", "debate", "collaborative"),
}
LABELS: Final = {
    "sector": "Sector fit", "size": "Size fit", "track_record": "Track record", "esg": "ESG",
    "semantic": "Meaning (thesis ↔ mandate)", "rule": "Rule score", "debate": "Debate score",
    "collaborative": "Collaborative signal",
}  # fmt: skip


class WeightsVersion(BaseModel):
    """One stored version."""

    version: int
    kind: str
    weights: dict[str, float]
    is_active: bool
    notes: str | None
    created_at: datetime


class NewWeights(BaseModel):
    """A proposed version."""

    kind: Kind
    weights: dict[str, float]
    notes: str | None = Field(default=None, max_length=500)
    activate: bool = True


def check(kind: str, weights: dict[str, Any]) -> dict[str, float]:
    """Every key of the kind, each 0–100, summing to exactly 100."""
    if kind not in KEYS:
        raise InvalidInput(
            "Kind must be rule or blend.",
            details=[{"field": "kind", "message": "rule or blend"}],
        )
    problems = []
    values: dict[str, float] = {}
    for key in KEYS[kind]:
        raw = weights.get(key)
        try:
            value = float(raw) if raw not in (None, "") else float("nan")
        except (TypeError, ValueError):
            value = float("nan")
        if not 0 <= value <= 100:
            problems.append({"field": key, "message": "A number from 0 to 100."})
        values[key] = value
    unknown = sorted(set(weights) - set(KEYS[kind]))
    problems += [{"field": k, "message": f"Not a {kind} weight."} for k in unknown]
    if problems:
        raise InvalidInput("Please correct the weights.", details=problems)
    total = sum(values.values())
    if abs(total - 100) > 1e-9:
        raise InvalidInput(
            f"The weights must add up to 100; these add up to {total:g}.",
            details=[{"field": "total", "message": f"Adds up to {total:g}, not 100."}],
        )
    return values


async def list_versions(conn: Conn) -> list[WeightsVersion]:
    """Every version, newest first."""
    cur = conn.cursor(row_factory=class_row(WeightsVersion))
    await cur.execute(
        "select version, kind, weights, is_active, notes, created_at from public.scoring_weights"
        " order by version desc"
    )
    return await cur.fetchall()


async def create(conn: Conn, user: User, new: NewWeights) -> WeightsVersion:
    """Store a new version (and activate it unless asked not to)."""
    values = check(new.kind, new.weights)
    version = await store(conn, new.kind, values, notes=new.notes, person_id=user.person_id)
    if new.activate:
        return await activate(conn, user, version)
    return await _get(conn, version)


async def store(
    conn: Conn,
    kind: str,
    values: dict[str, float],
    *,
    notes: str | None,
    person_id: Any = None,
    metrics: dict[str, Any] | None = None,
) -> int:
    """Insert a checked version, inactive; `person_id` None: the monthly retrain."""
    cur = await conn.execute(
        "insert into public.scoring_weights (kind, weights, notes, metrics, created_by)"
        " values (%(k)s, %(w)s, %(n)s, %(m)s, %(p)s) returning version",
        {"k": kind, "w": Jsonb(check(kind, values)), "n": (notes or "").strip() or None,
         "m": Jsonb(metrics) if metrics is not None else None, "p": person_id},
    )  # fmt: skip
    row = await cur.fetchone()
    assert row is not None
    await insert_audit(
        conn, action="weights.created", entity_type="scoring_weights", entity_id=row[0],
        details={"kind": kind, "weights": values},
    )  # fmt: skip
    return int(row[0])


async def _get(conn: Conn, version: int) -> WeightsVersion:
    cur = conn.cursor(row_factory=class_row(WeightsVersion))
    await cur.execute(
        "select version, kind, weights, is_active, notes, created_at from public.scoring_weights"
        " where version = %(v)s",
        {"v": version},
    )
    found = await cur.fetchone()
    if found is None:
        raise NotFound("weights version", version)
    return found


async def activate(conn: Conn, user: User | None, version: int) -> WeightsVersion:
    """Make a version the active one of its kind (a rollback is activating an older one).

    `user` None: the monthly retrain (the audit entry then has no actor).
    """
    chosen = await _get(conn, version)
    # Two admins activating at once take turns (the one-active-per-kind index would refuse the
    # second with an error otherwise).
    await conn.execute(
        "select version from public.scoring_weights where kind = %(k)s order by version for update",
        {"k": chosen.kind},
    )
    await conn.execute(
        "update public.scoring_weights set is_active = false where kind = %(k)s and is_active",
        {"k": chosen.kind},
    )
    await conn.execute(
        "update public.scoring_weights set is_active = true where version = %(v)s",
        {"v": version},
    )
    # Every stored score used the old weights: expire them all (a security-definer function,
    # since the matches belong to every organisation).
    await conn.execute("select public.expire_all_matches()")
    await insert_audit(
        conn, action="weights.activated", entity_type="scoring_weights", entity_id=version,
        details={"kind": chosen.kind},
    )  # fmt: skip
    return await _get(conn, version)
