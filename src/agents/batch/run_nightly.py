"""Nightly batch (02:00 UTC): rescore, debate and draft pitches for every active fund.

Every active fund is rescored against every LP; each fund's best new or changed matches are
debated and its top 10 get pitch drafts; nothing starts after the deadline.

Usage: python -m src.agents.batch.run_nightly [--dry-run] [--limit N] [--fund ID]
       [--since TIME] [--deadline TIME] [--progress auto|bar|json]

Start it on several machines to share the work: later workers join the running run. Exit code
1 when any item failed.
"""

from __future__ import annotations

from src.agents.batch.cli import main_for


def main(argv: list[str] | None = None) -> int:
    """Run one worker of tonight's run."""
    return main_for("nightly", argv, __doc__ or "")


if __name__ == "__main__":
    raise SystemExit(main())
