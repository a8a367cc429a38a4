"""Each provider client reports what it saw: /health/detailed shows ok, failing and the reason."""

from __future__ import annotations

import socket
import uuid

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from src.agents.embeddings import VOYAGE_ATTEMPTS, EmbeddingUnavailable, VoyageEmbeddings
from src.agents.tracing import _otlp_exporter
from src.auth.providers import InvalidCredentials, ProviderUnavailable
from src.auth.supabase import SupabaseIdentityProvider
from src.demo.market import DEMO_PASSWORD
from src.main import create_app
from src.monitoring.providers import (
    ProviderStatus,
    TrackedSpanExporter,
    TrackedTransport,
)
from src.storage import StorageUnavailable, SupabaseStorage
from tests.agents.batch_support import demo_email, load_demo
from tests.fakes.gotrue import FakeGoTrue
from tests.fakes.otlp import Collected, otlp_app
from tests.fakes.server import serve
from tests.fakes.storage import StorageState, storage_app
from tests.fakes.voyage import FakeVoyage
from tests.helpers import csrf_token, running_client, sign_in


def status(name: str) -> ProviderStatus:
    return ProviderStatus(name, configured=True)


@pytest.mark.parametrize(
    ("answer", "state", "reason"),
    [(200, "ok", None), (404, "ok", None), (401, "ok", None), (429, "failing", "HTTP 429"),
     (503, "failing", "HTTP 503"), ("drop", "failing", "ConnectError")],
)  # fmt: skip
async def test_the_transport_counts_outages_and_rate_limits_not_client_errors(
    answer, state, reason
):
    def handler(request: httpx.Request) -> httpx.Response:
        if answer == "drop":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(int(answer))

    seen = status("x")
    async with httpx.AsyncClient(
        transport=TrackedTransport(seen, httpx.MockTransport(handler))
    ) as http:
        try:
            await http.get("http://provider.test/")
        except httpx.ConnectError:
            pass
    assert (seen.state, seen.last_error) == (state, reason)
    assert seen.state != "no calls yet"


async def test_voyage_reports_each_outcome():
    fake = FakeVoyage()
    with serve(fake.app()) as url:
        seen = status("voyage")
        voyage = VoyageEmbeddings(api_key="pa-fake-key", model="voyage-finance-2",
                                  base_url=f"{url}/v1", retry_delay=0.01, status=seen)  # fmt: skip
        assert seen.state == "no calls yet"
        fake.failures = [503] * VOYAGE_ATTEMPTS
        with pytest.raises(EmbeddingUnavailable):
            await voyage.embed_query("pension")
        assert seen.state == "failing" and seen.last_error == "ServiceUnavailableError"
        fake.failures = [429]  # one refusal, then an answer on the retry
        await voyage.embed_query("pension")
        assert seen.state == "ok" and seen.last_error is None and seen.last_ok_at is not None


async def test_supabase_auth_reports_outages_but_not_wrong_passwords():
    fake = FakeGoTrue()
    fake.add_user("gp@example.org", "a long enough password")
    with serve(fake.app()) as url:
        seen = status("supabase_auth")
        auth = SupabaseIdentityProvider(url=url, anon_key=fake.anon_key,
                                        service_key=fake.service_key, status=seen)  # fmt: skip
        with pytest.raises(InvalidCredentials):
            await auth.sign_in("gp@example.org", "not the password")
        assert seen.state == "ok"
        fake.fail_next = (503, "unexpected_failure")
        with pytest.raises(ProviderUnavailable):
            await auth.sign_in("gp@example.org", "a long enough password")
        assert (seen.state, seen.last_error) == ("failing", "HTTP 503")
        await auth.sign_in("gp@example.org", "a long enough password")
        assert seen.state == "ok"


async def test_supabase_storage_reports_outages():
    state = StorageState(key="sb_secret_fake")
    with serve(storage_app(state)) as url:
        seen = status("supabase_storage")
        storage = SupabaseStorage(url=url, key="sb_secret_fake", status=seen)
        await storage.put(WHERE, b"%PDF",
                          content_type="application/pdf")  # fmt: skip
        assert seen.state == "ok"
        state.outage = True
        with pytest.raises(StorageUnavailable):
            await storage.get(WHERE)
        assert (seen.state, seen.last_error) == ("failing", "HTTP 503")
        await storage.aclose()


WHERE = f"{uuid.uuid4()}/{uuid.uuid4()}.pdf"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("outcome", ["delivered", "refused", "unreachable"])
def test_langfuse_exports_report_their_result(outcome):
    collected = Collected(refuse=401 if outcome == "refused" else None)
    with serve(otlp_app(collected)) as url:
        if outcome == "unreachable":
            url = f"http://127.0.0.1:{_closed_port()}"
        seen = status("langfuse")
        exporter = TrackedSpanExporter(seen, _otlp_exporter(url, "pk-lf-test", "sk-lf-test"))
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("test").start_as_current_span("debate"):
            pass
        provider.shutdown()
    if outcome == "delivered":
        assert seen.state == "ok" and [s["name"] for s in collected.spans] == ["debate"]
        assert collected.auth[0].startswith("Basic ")
    else:
        assert seen.state == "failing" and seen.last_error == "export failed"


async def test_detailed_health_shows_a_provider_failing_then_recovered(empty_db, make_settings):
    load_demo(empty_db.admin_url, lps=40, funds=4)
    admin = demo_email("platform_admin")
    member = demo_email("member")
    fake = FakeVoyage(failures=[503] * VOYAGE_ATTEMPTS)
    with serve(fake.app()) as url:
        app = create_app(
            make_settings(
                database_url=empty_db.app_url,
                voyage_api_key="pa-fake-key",
                voyage_base_url=f"{url}/v1",
            )  # fmt: skip
        )
        async with running_client(app) as client:
            assert (await detailed(client, admin))["voyage"] == {
                "configured": True, "status": "no calls yet", "last_ok_at": None,
                "last_error": None, "last_error_at": None,
            }  # fmt: skip
            await sign_in(client, member, DEMO_PASSWORD)
            search = {"semantic": "European venture secondaries"}
            headers = {"X-CSRF-Token": await csrf_token(client)}
            failed = await client.post("/api/v1/lps/semantic-search", json=search, headers=headers)
            assert failed.status_code == 503
            voyage = (await detailed(client, admin))["voyage"]
            assert voyage["status"] == "failing"
            assert voyage["last_error"] == "ServiceUnavailableError" and voyage["last_error_at"]
            await sign_in(client, member, DEMO_PASSWORD)
            headers = {"X-CSRF-Token": await csrf_token(client)}
            found = await client.post("/api/v1/lps/semantic-search", json=search, headers=headers)
            assert found.status_code == 200
            integrations = await detailed(client, admin)
    assert integrations["voyage"]["status"] == "ok" and integrations["voyage"]["last_ok_at"]
    for name in ("supabase_auth", "supabase_storage", "langfuse"):
        assert integrations[name] == {"configured": False, "status": "not configured"}


async def detailed(client: httpx.AsyncClient, admin: str) -> dict:
    await sign_in(client, admin, DEMO_PASSWORD)
    response = await client.get("/health/detailed")
    assert response.status_code == 200
    return response.json()["integrations"]
