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
import random
import statistics
import time
from pathlib import Path

import httpx
import psycopg

from src.config import Settings
from src.db.embedded import start_embedded
from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from tests.fakes.server import serve

MEMBER = "member@northlight.example.com"


async def sign_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    await client.get("/login")
    token = client.cookies["lpxgp_csrf"]
    response = await client.post(
        "/login", data={"email": MEMBER, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return client


async def hammer(
    clients: list[httpx.AsyncClient], path: str, seconds: float, think: float = 0.0
) -> tuple[list[float], list[float]]:
    """(client-side latencies, server-side latencies from the Server-Timing header), in ms."""
    samples: list[float] = []
    server: list[float] = []
    deadline = time.perf_counter() + seconds

    async def user(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(path)
            assert response.status_code == 200, response.status_code
            samples.append((time.perf_counter() - started) * 1000)
            server.append(float(response.headers["server-timing"].split("dur=")[1]))
            if think:
                await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

    await asyncio.gather(*(user(c) for c in clients))
    return samples, server


def summary(name: str, measured: tuple[list[float], list[float]], seconds: float) -> str:
    def p50_p95(values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        return f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms"

    client, server = measured
    return (
        f"{name:<22} {len(client) / seconds:7.1f} req/s  client {p50_p95(client)}"
        f"  | server {p50_p95(server)}"
    )


async def run(base: str, fund: str, users: int, seconds: float, think: float) -> None:
    clients = [await sign_in(base) for _ in range(users)]
    path = f"/funds/{fund}/matches"
    first = await clients[0].get(path)  # computes and stores the fund's matches once
    assert first.status_code == 200
    health = await hammer(clients, "/health", seconds / 2)
    page = await hammer(clients, path, seconds, think)
    pause = f", {think:g} s think time" if think else ", no think time (closed loop)"
    print(f"{users} concurrent users, {seconds:.0f} s each{pause}")
    print(summary("/health (baseline)", health, seconds / 2))
    print(summary("fund match list page", page, seconds))
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
