"""The batch worker's settings, command-line options, progress and outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from src.config import Settings
from src.db.queries.batch import Run


@dataclass(frozen=True)
class BatchConfig:
    """The knobs of a run (settings, with the command line on top)."""

    keep: int = 200
    debates_per_fund: int = 20
    pitches_per_fund: int = 10
    chunk: int = 25
    lease_seconds: float = 300
    max_attempts: int = 3
    poll_seconds: float = 1.0
    outage_seconds: float = 300
    deadline_utc: str | None = "06:00"

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchConfig:
        """The knobs as configured (BATCH_* settings)."""
        return cls(
            keep=settings.batch_keep_per_fund,
            debates_per_fund=settings.batch_debates_per_fund,
            pitches_per_fund=settings.batch_pitches_per_fund,
            chunk=settings.batch_chunk,
            lease_seconds=settings.batch_lease_seconds,
            max_attempts=settings.batch_max_attempts,
            outage_seconds=settings.batch_outage_seconds,
            deadline_utc=settings.batch_deadline_utc,
        )

    # An incremental run with more changed LPs than this share rescores funds in full.
    full_rescore_share: float = 0.10


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    dry_run: bool = False
    limit: int | None = None
    fund: uuid.UUID | None = None
    since: datetime | None = None
    deadline: datetime | None = None

    def as_params(self) -> dict[str, Any]:
        """The options a run records (and joining workers follow)."""
        return {
            "limit": self.limit,
            "fund": str(self.fund) if self.fund else None,
            "since": self.since.isoformat() if self.since else None,
        }


@dataclass
class Progress:
    """Where a worker is, for the progress bar or JSON lines."""

    phase: str = "plan"
    done: int = 0
    total: int = 0
    run_id: uuid.UUID | None = None


@dataclass
class Outcome:
    """What a worker saw of its run when it stopped."""

    run: Run | None
    processed: int = 0
    failed: int = 0
    plan: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """Non-zero when any item of the run failed."""
        if self.run is not None and self.run.status == "failed":
            return 1
        return 1 if self.failed else 0


def next_deadline(now: datetime, at: str | None) -> datetime | None:
    """The next `HH:MM` UTC after `now` (None: no deadline)."""
    if not at:
        return None
    hour, minute = (int(part) for part in at.split(":"))
    deadline = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return deadline if deadline > now else deadline + timedelta(days=1)
