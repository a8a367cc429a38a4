"""Schemathesis against /openapi.json as a signed-in member: no generated request gets a 5xx.

The app runs under uvicorn on 127.0.0.1 on a small demo market; every operation gets
`FUZZ_EXAMPLES` generated requests (valid and invalid bodies, parameters and ids), sent with
the member's bearer token. Logout goes last, as it ends the session the others use.
The examples are derandomised so CI is repeatable; `FUZZ_EXAMPLES=500 FUZZ_RANDOM=1` explores.
"""

from __future__ import annotations

import os

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from tests.agents.batch_support import demo_email, load_demo
from tests.fakes.server import serve

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
LAST = ("/api/v1/auth/logout",)


@pytest.fixture
def served(empty_db, make_settings):
    load_demo(empty_db.admin_url, lps=60, funds=4)
    app = create_app(make_settings(database_url=empty_db.app_url, rate_limit_enabled=False))
    with serve(app, lifespan="on") as url:
        yield app, url


def test_no_generated_request_gets_a_server_error(served):
    app, url = served
    member = demo_email("member")
    signed_in = httpx.post(f"{url}/api/v1/auth/login",
                           json={"email": member, "password": DEMO_PASSWORD})  # fmt: skip
    assert signed_in.status_code == 200
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: op.path in LAST)
    session = requests.Session()
    failures: list[str] = []
    calls = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case: schemathesis.Case) -> None:
            nonlocal calls
            response = case.call(base_url=url, session=session, headers=headers, timeout=30)
            calls += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{case.body!r:.200} {response.text[:200]}")  # fmt: skip

        check()
    assert calls >= len(operations) * min(EXAMPLES, 5)
    assert not failures, "\n".join(failures[:20])
