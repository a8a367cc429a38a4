"""Time generating and loading the demo market into a fresh embedded database.

Usage: python -m bench.demo_market [--lps 5000] [--funds 80] [--seed 7]
Prints rows per table, generation and load seconds, and the database size.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

from src.db.embedded import start_embedded
from src.db.migrate import apply_migrations
from src.demo.load import load_market
from src.demo.market import generate_market


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lps", type=int, default=5_000)
    parser.add_argument("--funds", type=int, default=80)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_embedded(Path(data_dir), database="bench_demo")
        try:
            asyncio.run(apply_migrations(server.admin_url))
            started = time.perf_counter()
            market = generate_market(
                seed=args.seed, lps=args.lps, funds=args.funds, as_of=date(2026, 11, 27)
            )
            generated = time.perf_counter() - started
            with psycopg.connect(server.admin_url, autocommit=True) as conn:
                report = load_market(conn, market)
        finally:
            server.stop()
    for table, count in report.rows.items():
        print(f"{table:<20} {count:>9,}")
    size = report.database_bytes / 2**20
    print(f"generate {generated:.1f} s, load {report.seconds:.1f} s, database {size:,.0f} MiB")


if __name__ == "__main__":
    main()
