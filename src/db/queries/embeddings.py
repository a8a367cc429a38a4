"""Stored vectors: what lacks one for a model, and writing them (service path)."""

from __future__ import annotations

import uuid

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]


class PendingText(BaseModel):
    """A mandate or thesis whose vector for the model is missing or stale."""

    entity_type: str
    entity_id: uuid.UUID
    org_id: uuid.UUID | None
    text: str
    text_hash: str


PENDING = """
    select * from (
      select 'lp_mandate' as entity_type, p.org_id as entity_id, null::uuid as org_id,
             p.mandate_text as text, encode(sha256(convert_to(btrim(p.mandate_text), 'UTF8')),
               'hex') as text_hash
      from public.lp_profiles p where p.mandate_text is not null and btrim(p.mandate_text) <> ''
      union all
      select 'fund_thesis', f.id, f.org_id, f.thesis,
             encode(sha256(convert_to(btrim(f.thesis), 'UTF8')), 'hex')
      from public.funds f where f.thesis is not null and btrim(f.thesis) <> ''
    ) t
    where not exists (
      select 1 from public.embeddings e
      where e.entity_type = t.entity_type and e.entity_id = t.entity_id and e.model = %(model)s
        and e.text_hash = t.text_hash)
"""


async def count_pending(conn: Conn, *, model: str) -> int:
    """How many texts still need a vector for this model."""
    cur = await conn.execute(f"select count(*) from ({PENDING}) pending", {"model": model})  # noqa: S608
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def list_pending(conn: Conn, *, model: str, limit: int) -> list[PendingText]:
    """The next texts to embed (funds and LPs in a stable order)."""
    cur = conn.cursor(row_factory=class_row(PendingText))
    await cur.execute(
        f"{PENDING} order by entity_type, entity_id limit %(limit)s",
        {"model": model, "limit": limit},
    )
    return await cur.fetchall()


async def upsert_embeddings(
    conn: Conn, *, model: str, dims: int, rows: list[tuple[PendingText, list[float]]]
) -> None:
    """Store vectors; a changed text replaces the old vector of the same entity and model."""
    async with conn.cursor() as cur:
        await cur.executemany(
            "insert into public.embeddings (entity_type, entity_id, org_id, model, dims, "
            "text_hash, embedding) "
            "values (%(type)s, %(id)s, %(org)s, %(model)s, %(dims)s, %(hash)s, "
            "%(vector)s::extensions.vector) "
            "on conflict (entity_type, entity_id, model) do update set "
            "text_hash = excluded.text_hash, embedding = excluded.embedding, dims = excluded.dims, "
            "created_at = now()",
            [
                {
                    "type": p.entity_type,
                    "id": p.entity_id,
                    "org": p.org_id,
                    "model": model,
                    "dims": dims,
                    "hash": p.text_hash,
                    "vector": str(vector),
                }
                for p, vector in rows
            ],
        )
