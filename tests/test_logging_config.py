import json
import logging
from collections.abc import Callable

import pytest
import structlog
from fastapi import FastAPI

from src.logging_config import REDACTED, SecretScrubber
from tests.helpers import running_client

OPENROUTER_KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"
DB_PASSWORD = "pw-9f8e7d6c5b4a"


async def test_every_log_line_is_json_and_holds_no_secret(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
):
    app = make_app(openrouter_api_key=OPENROUTER_KEY, rate_limit_default="3/minute")
    app_settings = app.state.settings
    async with running_client(app) as client:
        await client.get("/", headers={"Authorization": f"Bearer {OPENROUTER_KEY}"})
        await client.get(f"/health?token={OPENROUTER_KEY}")
        for _ in range(3):
            await client.get("/missing")
    log = structlog.get_logger("test")
    log.info("calling_provider", api_key=OPENROUTER_KEY, url=f"postgresql://app:{DB_PASSWORD}@db/x")
    log.warning("provider_said", detail=f"rejected key {OPENROUTER_KEY}")
    logging.getLogger("some.library").error("connect failed: Bearer %s", OPENROUTER_KEY)

    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line parses
    text = "\n".join(lines)
    for secret in (OPENROUTER_KEY, DB_PASSWORD, app_settings.session_secret.get_secret_value()):
        assert secret not in text
    requests = [e for e in events if e["event"] == "request"]
    # /health is not rate limited; "/" and two 404s use up the limit of 3.
    assert [r["status"] for r in requests] == [200, 200, 404, 404, 429]
    for request in requests:
        assert set(request) >= {"request_id", "method", "path", "status", "latency_ms", "timestamp"}
        assert request["timestamp"].endswith("Z")
        assert request["level"] == "info"
    assert len({r["request_id"] for r in requests}) == len(requests)
    assert next(e for e in events if e["event"] == "calling_provider")["api_key"] == REDACTED


def test_scrubber_removes_url_credentials_and_bearer_tokens():
    scrub = SecretScrubber(["known-secret-value"])
    event = scrub(
        None,
        "info",
        {
            "event": "x",
            "dsn_text": "fine",
            "message": "postgresql://user:hunter2@host/db Bearer abc.def.ghi known-secret-value",
            "nested": {"password": "p", "list": ["known-secret-value"]},
        },
    )
    assert event["message"] == f"postgresql://user:{REDACTED}@host/db Bearer {REDACTED} {REDACTED}"
    assert event["dsn_text"] == REDACTED
    assert event["nested"] == {"password": REDACTED, "list": [REDACTED]}


async def test_request_id_from_the_caller_is_kept_when_well_formed(client):
    kept = await client.get("/health", headers={"X-Request-ID": "abc-123-def-456"})
    replaced = await client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert kept.headers["x-request-id"] == "abc-123-def-456"
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"
