"""The match list page under load: 50 concurrent signed-in users on 127.0.0.1.

Usage: python -m bench.match_page --data-dir DIR [--users 50] [--seconds 20] [--think 0]

Needs a database built by `python -m bench.matching --data-dir DIR` (or lp_search). Starts the
app with uvicorn on 127.0.0.1 (as production does, minus TLS), signs one demo member in per
simulated user, computes the fund's matches once (the cached case the target is about), then
has every user load `/funds/{id}/matches` in a loop for the given time. Prints requests/s and
client-side p50/p95 (an upper bound of server time: it includes the loopback and parsing), and
the same for `/health` in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import psycopg

from bench.load import MEMBER, line, load, sign_in
from src.config import Settings
from src.db.embedded import start_embedded
from src.main import create_app
from tests.fakes.server import serve


async def run(base: str, fund: str, users: int, seconds: float, think: float) -> None:
    clients = [await sign_in(base) for _ in range(users)]
    path = f"/funds/{fund}/matches"
    first = await clients[0].get(path)  # computes and stores the fund's matches once
    assert first.status_code == 200
    health = await load(clients, "/health", seconds / 2)
    page = await load(clients, path, seconds, think)
    pause = f", {think:g} s think time" if think else ", no think time (closed loop)"
    print(f"{users} concurrent users, {seconds:.0f} s each{pause}")
    print(line("/health (baseline)", health, seconds / 2))
    print(line("fund match list page", page, seconds))
    for client in clients:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--url",
        help="load an app already running there (e.g. `uvicorn src.main:app --workers 2`)"
        " instead of starting one in this process",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause between a user's requests (s)"
    )
    args = parser.parse_args()
    server = start_embedded(args.data_dir, database="bench_lps")
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        row = conn.execute(
            "select f.id from funds f join employment e on e.org_id = f.org_id"
            " join people p on p.id = e.person_id where p.email = %s and f.status = 'raising'"
            " limit 1",
            (MEMBER,),
        ).fetchone()
    assert row is not None, "build the database with bench.matching first"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=server.app_url,
        database_admin_url=server.admin_url,
        rate_limit_enabled=False,
        log_level="WARNING",
        demo_market=False,
    )
    if args.url:
        asyncio.run(run(args.url, str(row[0]), args.users, args.seconds, args.think))
        return
    with serve(create_app(settings), lifespan="on") as base:
        asyncio.run(run(base, str(row[0]), args.users, args.seconds, args.think))


if __name__ == "__main__":
    main()
