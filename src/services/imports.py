"""LP import: upload → column mapping → preview with per-row errors and duplicates → confirm → run.

Rows are matched to existing LPs by normalised name and country, or by website domain; a row
whose values are already stored is "unchanged", so importing the same file twice changes
nothing. Each batch commits on its own and each row runs in a savepoint: a bad row is
reported and never half-written, and it never stops the good ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog
from psycopg import errors
from pydantic import BaseModel

from src.db.queries import imports as queries
from src.db.queries.imports import ImportRecord
from src.db.queries.users import Conn
from src.errors import Conflict, InvalidInput, NotFound
from src.services.import_rules import (
    FIELD_LABELS,
    FIELDS,
    FileRefused,
    Normalised,
    normalise_name,
    normalise_row,
    read_csv,
    suggest_mapping,
)
from src.services.taxonomy import COUNTRY_REGION, REGIONS

logger = structlog.get_logger("lpxgp.imports")
BATCH = 200
PREVIEW_ROWS = 20
OpenTransaction = Callable[[], AbstractAsyncContextManager[Conn]]


class RowPlan(BaseModel):
    """What importing one row would do, and why."""

    row: int
    name: str
    action: str  # insert | update | unchanged | duplicate | error
    reasons: list[str] = []
    values: dict[str, Any] = {}
    org_id: uuid.UUID | None = None


class ImportPreview(BaseModel):
    """The file as we read it, the mapping, the first rows and what the whole file would do."""

    record: ImportRecord
    header: list[str]
    mapping: dict[str, str]
    fields: dict[str, str]
    rows: list[RowPlan]
    totals: dict[str, int]


def storage_path(data_dir: Path, import_id: uuid.UUID) -> Path:
    """Where the uploaded file is kept until it is imported."""
    return data_dir / "imports" / f"{import_id}.csv"


async def upload(conn: Conn, *, filename: str, data: bytes, data_dir: Path) -> ImportPreview:
    """Read and store an upload; refuse what is not a usable CSV with a clear message."""
    try:
        parsed = read_csv(data)
    except FileRefused as exc:
        raise InvalidInput(str(exc), details=[{"field": "file", "message": str(exc)}]) from exc
    import_id = uuid.uuid4()
    path = storage_path(data_dir, import_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record = await queries.insert_import(
        conn,
        id=import_id,
        filename=Path(filename or "upload.csv").name[:255],
        storage_path=str(path),
        file_sha256=hashlib.sha256(data).hexdigest(),
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        row_count=len(parsed.rows),
        mapping=suggest_mapping(parsed.header),
    )
    return await preview(conn, import_id=record.id)


async def _load(
    conn: Conn, import_id: uuid.UUID
) -> tuple[ImportRecord, list[str], list[list[str]]]:
    record = await queries.get_import(conn, import_id=import_id)
    if record is None:
        raise NotFound("import", import_id)
    try:
        parsed = read_csv(Path(record.storage_path).read_bytes())
    except FileNotFoundError as exc:
        raise Conflict("The uploaded file is no longer stored; upload it again.") from exc
    return record, parsed.header, parsed.rows


def check_mapping(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Keep known columns and fields; each field from at most one column; name and type needed."""
    clean = {
        column: target
        for column, target in mapping.items()
        if column in header and target in FIELDS
    }
    targets = list(clean.values())
    doubled = {t for t in targets if targets.count(t) > 1}
    problems = [f"{FIELD_LABELS[t]} is mapped from more than one column" for t in sorted(doubled)]
    problems += [
        f"Map a column to {FIELD_LABELS[t]}" for t in ("name", "lp_type") if t not in targets
    ]
    if problems:
        raise InvalidInput(
            "; ".join(problems) + ".",
            details=[{"field": "mapping", "message": p} for p in problems],
        )
    return clean


async def preview(
    conn: Conn, *, import_id: uuid.UUID, mapping: dict[str, str] | None = None
) -> ImportPreview:
    """What importing the file with this mapping would do, row by row."""
    record, header, rows = await _load(conn, import_id)
    if mapping is not None:
        check_mapping(header, mapping)  # a mapping the admin chose must be complete
    mapping = record.mapping if mapping is None else mapping
    plans = (
        await plan(conn, header, rows, check_mapping(header, mapping))
        if _has_required(mapping)
        else []
    )
    totals = {
        action: sum(p.action == action for p in plans)
        for action in ("insert", "update", "unchanged", "duplicate", "error")
    }
    return ImportPreview(
        record=record,
        header=header,
        mapping=mapping,
        fields=FIELD_LABELS,
        rows=plans[:PREVIEW_ROWS],
        totals=totals,
    )


def _has_required(mapping: dict[str, str]) -> bool:
    return {"name", "lp_type"} <= set(mapping.values())


def _region(values: dict[str, Any]) -> str | None:
    for code in values.get("geographies") or []:
        if code in REGIONS:
            return str(code)
        if code in COUNTRY_REGION:
            return COUNTRY_REGION[code]
    return COUNTRY_REGION.get(values.get("hq_country") or "")


def _same(existing: Any, new: Any) -> bool:
    if isinstance(existing, Decimal) or isinstance(new, Decimal):
        return (
            existing is not None and new is not None and Decimal(str(existing)) == Decimal(str(new))
        )
    return bool(existing == new)


async def plan(
    conn: Conn, header: list[str], rows: list[list[str]], mapping: dict[str, str]
) -> list[RowPlan]:
    """Normalise every row; decide insert, update, unchanged, duplicate in the file, or error."""
    existing = await queries.list_lp_identities(conn)
    by_name = {(normalise_name(lp["name"]), lp["hq_country"]): lp for lp in existing}
    by_domain = {
        Normalised(values={"website": lp["website"]}).domain: lp for lp in existing if lp["website"]
    }
    seen: dict[Any, int] = {}
    plans = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        normalised = normalise_row(row, header, mapping)
        name = str(normalised.values.get("name") or (row[0] if row else ""))
        if normalised.errors:
            plans.append(RowPlan(row=number, name=name, action="error", reasons=normalised.errors))
            continue
        values = {**normalised.values, "region": _region(normalised.values)}
        keys = [("name", normalised.identity)] + (
            [("domain", normalised.domain)] if normalised.domain else []
        )
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            plans.append(
                RowPlan(
                    row=number, name=name, action="duplicate", reasons=[f"Same LP as row {first}"]
                )
            )
            continue
        seen.update(dict.fromkeys(keys, number))
        match = by_name.get(normalised.identity) or (
            by_domain.get(normalised.domain) if normalised.domain else None
        )
        plans.append(
            _against(match, RowPlan(row=number, name=name, action="insert", values=values))
        )
    return plans


def _against(match: dict[str, Any] | None, new: RowPlan) -> RowPlan:
    """A new LP, or an update of the LP it matches with only the fields that change."""
    if match is None:
        return new
    changes = {f: v for f, v in new.values.items() if f != "name" and not _same(match.get(f), v)}
    reason = f"Matches {match['name']}" + (
        f": {', '.join(FIELD_LABELS.get(f, f) for f in changes)} change" if changes else ""
    )
    action = "update" if changes else "unchanged"
    return new.model_copy(
        update={"action": action, "reasons": [reason], "values": changes, "org_id": match["id"]}
    )


async def confirm(conn: Conn, *, import_id: uuid.UUID, mapping: dict[str, str]) -> ImportRecord:
    """Lock in the mapping and mark the import as running (once)."""
    record, header, _ = await _load(conn, import_id)
    if record.status != "uploaded":
        raise Conflict("This file has already been imported; upload it again to import it again.")
    clean = check_mapping(header, mapping)
    if not await queries.start_import(conn, import_id=import_id, mapping=clean):
        raise Conflict("This file has already been imported; upload it again to import it again.")
    return record.model_copy(update={"status": "importing", "mapping": clean})


async def run(
    open_transaction: OpenTransaction,
    import_id: uuid.UUID,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Import a confirmed file in batches; each row in a savepoint; counters after each batch."""
    async with open_transaction() as conn:
        record, header, rows = await _load(conn, import_id)
        plans = await plan(conn, header, rows, record.mapping)
    try:
        for start in range(0, len(plans), BATCH):
            async with open_transaction() as conn:
                counts, report = await _apply_batch(conn, plans[start : start + BATCH])
                await queries.record_progress(
                    conn, import_id=import_id, counts=counts, report=report
                )
            if progress:
                progress(min(start + BATCH, len(plans)), len(plans))
    except Exception:
        logger.exception("import_failed", import_id=str(import_id))
        async with open_transaction() as conn:
            await queries.finish_import(conn, import_id=import_id, status="failed")
        raise
    async with open_transaction() as conn:
        await queries.finish_import(conn, import_id=import_id, status="completed")
    logger.info("import_completed", import_id=str(import_id), rows=len(plans))


async def _apply_batch(
    conn: Conn, plans: list[RowPlan]
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counts = {"processed": len(plans), "inserted": 0, "updated": 0, "skipped": 0, "failed": 0}
    report = []
    for p in plans:
        action, reasons = p.action, list(p.reasons)
        if action in ("insert", "update"):
            try:
                async with conn.transaction():  # a savepoint: a failing row leaves nothing behind
                    if action == "insert":
                        await queries.insert_lp(conn, values=p.values)
                    else:
                        assert p.org_id is not None
                        await queries.update_lp(conn, org_id=p.org_id, values=p.values)
            except (errors.IntegrityError, errors.DataError) as exc:
                action, reasons = (
                    "error",
                    [f"The database refused the row ({exc.diag.constraint_name or exc.sqlstate})"],
                )
        key = {"insert": "inserted", "update": "updated", "error": "failed"}.get(action, "skipped")
        counts[key] += 1
        report.append({"row": p.row, "name": p.name, "action": action, "reasons": reasons})
    return counts, report


def report_csv(record: ImportRecord) -> AsyncIterator[str]:
    """The import's outcome per row, as CSV."""

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["row", "name", "outcome", "reasons"])
        for item in sorted(record.report, key=lambda r: int(r["row"])):
            name = str(item["name"])
            writer.writerow(
                [
                    item["row"],
                    f"'{name}" if name[:1] in "=+-@" else name,
                    item["action"],
                    "; ".join(item["reasons"]),
                ]
            )
        yield buffer.getvalue()

    return rows()
