"""Incremental batch (every 4 h): only what changed since the last successful run.

Funds changed since then are rescored against every LP; LPs changed since then are rescored
against every active fund (deduplicated); then the same debate and pitch phases as the nightly
run. With no successful run yet, every active fund is rescored.

Usage: python -m src.agents.batch.run_incremental [--dry-run] [--limit N] [--fund ID]
       [--since TIME] [--progress auto|bar|json]

Exit code 1 when any item failed.
"""

from __future__ import annotations

from src.agents.batch.cli import main_for


def main(argv: list[str] | None = None) -> int:
    """Run one worker of the incremental run."""
    return main_for("incremental", argv, __doc__ or "")


if __name__ == "__main__":
    raise SystemExit(main())
