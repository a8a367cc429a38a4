"""Import an LP file from the command line: python -m src.ops.import_lps FILE [--dry-run].

Reads the file like the admin page does (UTF-8 or Latin-1, `,` or `;`), maps columns by their
names, prints what each kind of row would do, and (without --dry-run) imports it through the
service path with a progress line. Exit code 1 when the file cannot be read or rows failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from src.config import get_settings
from src.db.pool import pool_for, resolve_database
from src.db.tenancy import service_transaction
from src.errors import DomainError
from src.services import imports


def _progress(done: int, total: int) -> None:
    sys.stdout.write(f"\r  imported {done:,} / {total:,} rows")
    sys.stdout.flush()


async def _run(path: Path, dry_run: bool) -> int:
    settings = get_settings()
    target = resolve_database(settings)
    pool = pool_for(target, settings)
    await pool.open(wait=True, timeout=30)
    try:
        async with service_transaction(pool) as conn:
            result = await imports.upload(
                conn, filename=path.name, data=path.read_bytes(), data_dir=settings.data_dir
            )
        totals = ", ".join(f"{count} {action}" for action, count in result.totals.items())
        sys.stdout.write(
            f"{path.name}: {result.record.row_count} rows; mapping {result.mapping}\n{totals}\n"
        )
        if dry_run:
            return 0
        async with service_transaction(pool) as conn:
            await imports.confirm(conn, import_id=result.record.id, mapping=result.mapping)
        await imports.run(lambda: service_transaction(pool), result.record.id, progress=_progress)
        async with service_transaction(pool) as conn:
            done = await imports.preview(conn, import_id=result.record.id)
    except DomainError as exc:
        sys.stderr.write(f"{exc.message}\n")
        return 1
    finally:
        await pool.close()
    r = done.record
    sys.stdout.write(
        f"\n{r.inserted} inserted, {r.updated} updated, {r.skipped} skipped, {r.failed} failed\n"
    )
    return 1 if r.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and import the file."""
    parser = argparse.ArgumentParser(prog="python -m src.ops.import_lps", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would happen, write nothing"
    )
    args = parser.parse_args(argv)
    if not args.file.is_file():
        sys.stderr.write(f"No such file: {args.file}\n")
        return 1
    return asyncio.run(_run(args.file, args.dry_run))


if __name__ == "__main__":
    raise SystemExit(main())
