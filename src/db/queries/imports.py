"""LP imports: the import records, and the LP rows they write (platform admins, under RLS)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import TupleRow, class_row, dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

Conn = AsyncConnection[TupleRow]
PROFILE_FIELDS = (
    "lp_type",
    "aum_musd",
    "private_markets_allocation_pct",
    "strategies",
    "geographies",
    "sectors",
    "check_size_min_musd",
    "check_size_max_musd",
    "fund_size_min_musd",
    "fund_size_max_musd",
    "min_track_record_years",
    "esg_required",
    "emerging_manager_program",
    "actively_looking",
    "mandate_text",
    "description",
    "region",
)
ORG_FIELDS = ("name", "website", "hq_country")


class ImportRecord(BaseModel):
    """An uploaded file and where importing it stands."""

    id: uuid.UUID
    filename: str
    file_sha256: str
    storage_path: str
    encoding: str
    delimiter: str
    row_count: int
    mapping: dict[str, str]
    status: str
    processed: int
    inserted: int
    updated: int
    skipped: int
    failed: int
    report: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None


async def insert_import(conn: Conn, **values: Any) -> ImportRecord:
    """Record an upload."""
    cur = conn.cursor(row_factory=class_row(ImportRecord))
    await cur.execute(
        "insert into public.lp_imports (id, filename, file_sha256, storage_path, encoding, "
        "delimiter, "
        "row_count, mapping, created_by) values (%(id)s, %(filename)s, %(file_sha256)s, "
        "%(storage_path)s, "
        "%(encoding)s, %(delimiter)s, %(row_count)s, %(mapping)s, public.current_person_id()) "
        "returning *",
        {**values, "mapping": Jsonb(values["mapping"])},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def get_import(conn: Conn, *, import_id: uuid.UUID) -> ImportRecord | None:
    """One import, if the caller may see it."""
    cur = conn.cursor(row_factory=class_row(ImportRecord))
    await cur.execute("select * from public.lp_imports where id = %(id)s", {"id": import_id})
    return await cur.fetchone()


async def list_imports(conn: Conn, *, limit: int = 20) -> list[ImportRecord]:
    """The latest imports."""
    cur = conn.cursor(row_factory=class_row(ImportRecord))
    await cur.execute(
        "select * from public.lp_imports order by created_at desc limit %(n)s", {"n": limit}
    )
    return await cur.fetchall()


async def start_import(conn: Conn, *, import_id: uuid.UUID, mapping: dict[str, str]) -> int:
    """Claim an uploaded import for running (only once)."""
    cur = await conn.execute(
        "update public.lp_imports set status = 'importing', mapping = %(m)s, processed = 0, "
        "inserted = 0, "
        "updated = 0, skipped = 0, failed = 0, report = '[]' where id = %(id)s and status = "
        "'uploaded'",
        {"id": import_id, "m": Jsonb(mapping)},
    )
    return cur.rowcount


async def record_progress(
    conn: Conn, *, import_id: uuid.UUID, counts: dict[str, int], report: list[dict[str, Any]]
) -> None:
    """Add a batch's outcome to the import's counters and report."""
    await conn.execute(
        "update public.lp_imports set processed = processed + %(processed)s, inserted = "
        "inserted + %(inserted)s, "
        "updated = updated + %(updated)s, skipped = skipped + %(skipped)s, failed = failed + "
        "%(failed)s, "
        "report = report || %(report)s where id = %(id)s",
        {"id": import_id, **counts, "report": Jsonb(report)},
    )


async def finish_import(conn: Conn, *, import_id: uuid.UUID, status: str) -> None:
    """Mark the import completed or failed."""
    await conn.execute(
        "update public.lp_imports set status = %(s)s, finished_at = now() where id = %(id)s",
        {"id": import_id, "s": status},
    )


async def list_lp_identities(conn: Conn) -> list[dict[str, Any]]:
    """Every LP's id, name, country, website and profile values (to match and compare rows)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        sql.SQL(
            "select o.id, o.name, o.website, o.hq_country, {profile} from public.organizations o "
            "join public.lp_profiles p on p.org_id = o.id"
        ).format(
            profile=sql.SQL(", ").join(
                sql.SQL("p.{}").format(sql.Identifier(f)) for f in PROFILE_FIELDS
            )
        )
    )
    return await cur.fetchall()


async def insert_lp(conn: Conn, *, values: dict[str, Any]) -> uuid.UUID:
    """A new LP organisation with its profile."""
    org = {f: values.get(f) for f in ORG_FIELDS}
    cur = await conn.execute(
        "insert into public.organizations (name, is_lp, website, hq_country) "
        "values (%(name)s, true, %(website)s, %(hq_country)s) returning id",
        org,
    )
    row = await cur.fetchone()
    assert row is not None
    profile = {f: values[f] for f in PROFILE_FIELDS if f in values}
    columns = ["org_id", *profile]
    await conn.execute(
        sql.SQL("insert into public.lp_profiles ({}) values ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(map(sql.Placeholder, columns)),
        ),
        {"org_id": row[0], **profile},
    )
    return uuid.UUID(str(row[0]))


async def update_lp(conn: Conn, *, org_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Change the given fields of an existing LP."""
    org = {f: values[f] for f in ORG_FIELDS if f in values and f != "name"}
    profile = {f: values[f] for f in PROFILE_FIELDS if f in values}
    for table, key, fields in (("organizations", "id", org), ("lp_profiles", "org_id", profile)):
        if fields:
            await conn.execute(
                sql.SQL("update public.{} set {} where {} = %(key)s").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(
                        sql.SQL("{} = {}").format(sql.Identifier(f), sql.Placeholder(f))
                        for f in fields
                    ),
                    sql.Identifier(key),
                ),
                {**fields, "key": org_id},
            )
