"""Generate the demo market and load it: `python -m src.demo.generate [--lps N] [--funds N]`.

Deterministic: the same --seed and --as-of always give the same rows. Loads into the embedded
database by default, or into --database-url (an admin/service connection: it writes as the
service path, under no user's RLS). Refuses staging and production.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime

import psycopg
import structlog

from src.config import Settings, get_settings
from src.db.embedded import start_embedded
from src.demo.load import DatabaseNotEmpty, LoadReport, has_market, load_market, reset
from src.demo.market import DEMO_PASSWORD, Market, generate_market

logger = structlog.get_logger("lpxgp.demo")


def build_and_load(
    admin_url: str, *, seed: int, lps: int, funds: int, as_of: date
) -> tuple[Market, LoadReport, float]:
    """Generate the market and load it into an empty database; returns the generation time too."""
    started = time.perf_counter()
    market = generate_market(seed=seed, lps=lps, funds=funds, as_of=as_of)
    generated = time.perf_counter() - started
    with psycopg.connect(admin_url, autocommit=True) as conn:
        report = load_market(conn, market)
    return market, report, generated


def ensure_demo_market(admin_url: str) -> Market | None:
    """Load the default demo market into an empty database; None when one is already there."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if has_market(conn):
            return None
    try:
        market, report, generated = build_and_load(
            admin_url, seed=7, lps=5_000, funds=80, as_of=datetime.now(UTC).date()
        )
    except DatabaseNotEmpty:
        return None  # another process loaded it first
    logger.info(
        "demo_market_loaded",
        rows=report.rows,
        generate_s=round(generated, 2),
        load_s=round(report.seconds, 2),
    )
    return market


def summary(market: Market, report: LoadReport | None, generated: float) -> str:
    """The human report: rows per table, timings, database size and who can sign in."""
    lines = [f"Demo market (seed {market.seed}, as of {market.as_of}):"]
    lines += [f"  {table:<20} {count:>9,}" for table, count in market.counts().items()]
    lines.append(f"  generated in {generated:.1f} s")
    if report is not None:
        size = report.database_bytes / 2**20
        lines.append(f"  loaded in {report.seconds:.1f} s; database size {size:,.0f} MiB")
    lines.append(f"Demo sign-ins (password {DEMO_PASSWORD}):")
    lines += [
        f"  {login.email:<34} {login.role:<15} {login.org_name or ''}" for login in market.logins
    ]
    return "\n".join(lines) + "\n"


def _admin_url(args: argparse.Namespace, settings: Settings) -> str:
    if args.database_url:
        return str(args.database_url)
    for configured in (settings.database_admin_url, settings.database_url):
        if configured is not None:
            return configured.get_secret_value()
    return start_embedded(settings.data_dir).admin_url


def main(argv: list[str] | None = None) -> int:
    """Parse flags, generate, load, report; non-zero when nothing was loaded."""
    parser = argparse.ArgumentParser(prog="python -m src.demo.generate", description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lps", type=int, default=5_000)
    parser.add_argument("--funds", type=int, default=80)
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        help="the day the market is 'as of' (YYYY-MM-DD); default today",
    )
    parser.add_argument(
        "--database-url", help="admin connection; default: the configured or embedded database"
    )
    parser.add_argument("--reset", action="store_true", help="empty the market tables first")
    parser.add_argument("--dry-run", action="store_true", help="generate and report, load nothing")
    args = parser.parse_args(argv)

    settings = get_settings()
    if settings.is_deployed:
        sys.stderr.write(f"refusing to load demo data with APP_ENV={settings.app_env}\n")
        return 2
    try:
        if args.dry_run:
            started = time.perf_counter()
            market = generate_market(
                seed=args.seed, lps=args.lps, funds=args.funds, as_of=args.as_of
            )
            sys.stdout.write(summary(market, None, time.perf_counter() - started))
            return 0
        admin_url = _admin_url(args, settings)
        if args.reset:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                reset(conn)
        market, report, generated = build_and_load(
            admin_url, seed=args.seed, lps=args.lps, funds=args.funds, as_of=args.as_of
        )
    except (ValueError, DatabaseNotEmpty) as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(summary(market, report, generated))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
