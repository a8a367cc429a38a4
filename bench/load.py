"""Sustained load on the demo market: 50 signed-in users for 60 s per page, on 127.0.0.1.

Usage: python -m bench.load [--data-dir DIR] [--users 50] [--seconds 60] [--url URL]
                            [--think S] [--prepared]

Builds (or reuses, with --data-dir) an embedded database with the demo market (5,000 LPs,
80 funds), starts the app with uvicorn on 127.0.0.1 (or loads one already running at --url,
e.g. `uvicorn src.main:app --workers 2`), signs one demo member in per simulated user, and for
each page has every user load it in a closed loop for the given time: the dashboard, an LP
search (keyword + type filter), and a fund's match list (its matches computed once first).
Prints requests/s, client and server (Server-Timing) p50 / p95, and the error count (any
answer but 200), with /health as the baseline in the same run. The per-IP rate limit is off:
every simulated user comes from 127.0.0.1.

By default each user sends its next request as soon as the last is answered (a closed loop
with no pause, like wrk: the most the server can do). `--think S` makes each user pause a
random 0.5–1.5 × S seconds between requests, as people (and locust's users) do: the latency
50 people using the product at once would see. `--prepared` turns DB_PREPARED_STATEMENTS on
for the in-process app (with --url, the running app's own setting applies).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import psycopg

from src.config import Settings
from src.db.embedded import start_embedded
from src.db.migrate import apply_migrations
from src.demo.load import load_market
from src.demo.market import DEMO_PASSWORD, generate_market
from src.main import create_app
from tests.fakes.server import serve

MEMBER = "member@northlight.example.com"


async def sign_in(base: str) -> httpx.AsyncClient:
    """A client signed in as the demo member (through the login form, with its CSRF token)."""
    client = httpx.AsyncClient(base_url=base, timeout=30)
    await client.get("/login")
    token = client.cookies["lpxgp_csrf"]
    response = await client.post(
        "/login", data={"email": MEMBER, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return client


async def load(
    clients: list[httpx.AsyncClient], path: str, seconds: float, think: float = 0.0
) -> tuple[list[float], list[float], int]:
    """(client latencies, server latencies, errors) of every user loading `path` in a loop."""
    client_ms: list[float] = []
    server_ms: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def user(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.get(path)
            except httpx.HTTPError:
                errors += 1
                continue
            client_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1
            timing = response.headers.get("server-timing", "dur=0")
            server_ms.append(float(timing.split("dur=")[1]))
            if think:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))

    await asyncio.gather(*(user(c) for c in clients))
    return client_ms, server_ms, errors


def line(name: str, measured: tuple[list[float], list[float], int], seconds: float) -> str:
    def p50_p95(values: list[float]) -> str:
        ordered = sorted(values) or [0.0]
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms"

    client, server, errors = measured
    return (f"{name:<20} {len(client) / seconds:7.1f} req/s  client {p50_p95(client)}"
            f"  | server {p50_p95(server)}  | errors {errors}")  # fmt: skip


async def run(base: str, fund: str, users: int, seconds: float, think: float = 0.0) -> None:
    clients = [await sign_in(base) for _ in range(users)]
    matches = f"/funds/{fund}/matches"
    assert (await clients[0].get(matches)).status_code == 200  # computed and stored once
    pages = [
        ("/health (baseline)", "/health"),
        ("dashboard", "/dashboard"),
        ("LP search", "/lps?q=pension&type=public_pension"),
        ("fund match list", matches),
    ]
    pause = f"{think * 0.5:g}–{think * 1.5:g} s between requests" if think else "no pause"
    print(f"{users} concurrent signed-in users, {pause}, {seconds:.0f} s per page")
    for name, path in pages:
        print(line(name, await load(clients, path, seconds, think), seconds), flush=True)
    for client in clients:
        await client.aclose()


async def prepare(data_dir: Path) -> tuple[str, str, str]:
    """The database (built once per data dir): app URL, admin URL, a raising fund's id."""
    server = start_embedded(data_dir, database="bench_demo")
    await apply_migrations(server.admin_url)
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        if not conn.execute("select count(*) from lp_profiles").fetchone()[0]:
            load_market(conn, generate_market(as_of=date(2026, 11, 27)))
        row = conn.execute(
            "select f.id from funds f join employment e on e.org_id = f.org_id"
            " join people p on p.id = e.person_id where p.email = %s and f.status = 'raising'"
            " limit 1",
            (MEMBER,),
        ).fetchone()
    assert row is not None
    return server.app_url, server.admin_url, str(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="keep the database here and reuse it")
    parser.add_argument("--url", help="load an app already running there")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause per user, seconds")
    parser.add_argument("--prepared", action="store_true", help="DB_PREPARED_STATEMENTS=true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        app_url, admin_url, fund = asyncio.run(prepare(args.data_dir or Path(scratch)))
        if args.url:
            asyncio.run(run(args.url, fund, args.users, args.seconds, args.think))
            return
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=app_url, database_admin_url=admin_url,
            rate_limit_enabled=False, log_level="WARNING", demo_market=False,
            data_dir=Path(scratch), db_prepared_statements=args.prepared,
        )  # fmt: skip
        with serve(create_app(settings), lifespan="on") as base:
            asyncio.run(run(base, fund, args.users, args.seconds, args.think))


if __name__ == "__main__":
    main()
