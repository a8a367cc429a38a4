"""Start LPxGP on this machine: the embedded database, migrations, then the web server.

Usage: python -m src [--host 127.0.0.1] [--port 8000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import uvicorn

from src.config import get_settings
from src.demo.market import DEMO_PASSWORD, demo_logins


def _banner(url: str, embedded: Path | None, demo: bool) -> str:
    database = f"embedded PostgreSQL in {embedded}" if embedded else "DATABASE_URL"
    lines = [f"  LPxGP is running at {url}", f"  Database: {database}"]
    if demo:
        lines += [f"  Sign in at {url}/login with password {DEMO_PASSWORD} as:"]
        lines += [
            f"    {login.email:<30} {login.role:<15} {login.org_name or ''}"
            for login in demo_logins()
        ]
    lines.append("  Press Ctrl+C to stop.")
    return "\n" + "\n".join(lines) + "\n\n"


async def _serve(host: str, port: int) -> None:
    # The app's lifespan starts the database and migrates it; we only report where it lives.
    settings = get_settings()
    config = uvicorn.Config(
        "src.main:app", host=host, port=port, log_config=None, proxy_headers=True
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started:
        # The one place we talk to a person on the terminal rather than to the log.
        pgdata = (
            (settings.data_dir / "pgdata").resolve() if settings.uses_embedded_database else None
        )
        demo = settings.uses_embedded_database and settings.demo_market and not settings.is_deployed
        sys.stderr.write(_banner(f"http://{host}:{port}", pgdata, demo))
    await serving


def main(argv: list[str] | None = None) -> int:
    """Run the development server until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m src", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    # Links the app writes (invitations, password resets) must point at this server unless
    # PUBLIC_URL (environment or .env) says otherwise.
    if "public_url" not in get_settings().model_fields_set:
        os.environ["PUBLIC_URL"] = f"http://{args.host}:{args.port}"
        get_settings.cache_clear()
    try:
        asyncio.run(_serve(args.host, args.port))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
