"""Restore a backup: python -m src.ops.restore FILE [--wipe] [--database-url URL].

Loads a dump made by `python -m src.ops.backup` into the configured database, which must be
migrated to the backup's level. Tables that already hold rows are only replaced with --wipe.
Every table is compared with the backup's manifest afterwards (rows and checksum). Exit code 1
when it refuses or the check fails; the database is left as it was if pg_restore fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from src.config import get_settings
from src.ops.dumps import BackupError, restore
from src.ops.target import admin_url


def main(argv: list[str] | None = None) -> int:
    """Parse flags and restore."""
    parser = argparse.ArgumentParser(prog="python -m src.ops.restore", description=__doc__)
    parser.add_argument("file", type=Path, help="a .dump written by src.ops.backup")
    parser.add_argument("--wipe", action="store_true", help="replace tables that hold rows")
    parser.add_argument("--database-url", default=None, help="restore into this database")
    args = parser.parse_args(argv)
    try:
        tables = restore(admin_url(get_settings(), args.database_url), args.file, wipe=args.wipe)
    except BackupError as exc:
        sys.stderr.write(f"Restore refused: {exc}\n")
        return 1
    rows = sum(t["rows"] for t in tables.values())
    sys.stdout.write(f"Restored {len(tables)} tables ({rows:,} rows); every table matches the"
                     " backup's manifest.\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
