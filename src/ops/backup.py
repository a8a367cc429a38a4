"""Back up the configured database: python -m src.ops.backup [--out FILE] [--table NAME ...].

Dumps the data of the `public` schema (and local sign-ins) with pg_dump to
`backups/lpxgp-<time>.dump` and writes `<file>.json`, the manifest a restore checks against.
`--table` limits it to some tables (as `supabase db dump --table` does). The database is
DATABASE_ADMIN_URL, DATABASE_URL, or the embedded one; `--database-url` overrides them.
Exit code 1 when the backup could not be made.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from src.config import get_settings
from src.ops.dumps import BackupError, backup
from src.ops.target import admin_url


def main(argv: list[str] | None = None) -> int:
    """Parse flags and back up."""
    parser = argparse.ArgumentParser(prog="python -m src.ops.backup", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="the dump file to write")
    parser.add_argument("--table", action="append", default=None, help="only this table")
    parser.add_argument("--database-url", default=None, help="back up this database instead")
    args = parser.parse_args(argv)
    settings = get_settings()
    out = args.out or Path("backups") / f"lpxgp-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump"
    try:
        manifest = backup(admin_url(settings, args.database_url), out,
                          include_auth=settings.supabase_url is None, only=args.table)  # fmt: skip
    except BackupError as exc:
        sys.stderr.write(f"Backup failed: {exc}\n")
        return 1
    rows = sum(t["rows"] for t in manifest.tables.values())
    sys.stdout.write(f"Backed up {len(manifest.tables)} tables ({rows:,} rows) at migration"
                     f" {manifest.migration} to {out}\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
