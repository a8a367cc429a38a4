"""One async client for OpenAI-compatible chat completions (OpenRouter by default).

Every call asks for JSON that matches a pydantic model (`response_format` json_schema, strict)
and validates the reply; a reply that does not validate gets one repair attempt, then the call
fails cleanly. 429s (honouring Retry-After), 5xx, 408, timeouts, transport errors and
OpenRouter's "error inside a 200" are retried with jittered exponential backoff. A process-wide
semaphore caps concurrent calls and a sliding window caps calls per minute. Each HTTP call is
recorded (tokens, cost from `usage.cost`, latency, prompt version) through a `CallLog`; when the
day's spend reaches the budget, calls are refused with `LlmBudgetExhausted` (callers switch to
the offline analyst) and the log raises one alert.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from src.agents.prompts import PromptSource
from src.agents.tracing import Tracing

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
Role = Literal["main", "fast"]
MAX_BACKOFF_SECONDS = 20.0
MAX_RETRY_AFTER_SECONDS = 60.0


class LlmError(Exception):
    """A call that produced no usable answer; `reason` says why, for logs and labels."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LlmUnavailable(LlmError):
    """The provider failed (after retries, or with an error that retrying cannot fix)."""


class LlmBudgetExhausted(LlmError):
    """Today's LLM spend reached the budget."""


class LlmInvalidOutput(LlmError):
    """The model's reply did not match the schema, even after one repair attempt."""


@dataclass(frozen=True)
class CallContext:
    """What a call is for: who pays for it and where its record belongs."""

    agent: str
    prompt_name: str
    prompt_version: str
    org_id: uuid.UUID | None = None
    debate_id: uuid.UUID | None = None
    batch_run_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CallRecord:
    """One HTTP call to the provider, as stored in `llm_calls`."""

    context: CallContext
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: int
    status: Literal["ok", "error"]
    error: str | None = None


class CallLog(Protocol):
    """Where calls are recorded and the day's spend is read (the database in the app)."""

    async def record(self, call: CallRecord) -> None:
        """Store one call."""
        ...

    async def spent_today(self) -> float:
        """USD spent on LLM calls since midnight UTC."""
        ...

    async def budget_exhausted(self, spent: float, budget: float) -> None:
        """Raise the day's budget alert (once per day)."""
        ...


@dataclass
class Completion(Generic[T]):
    """A validated answer and what it cost."""

    value: T
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: int
    calls: int


class PerMinuteLimiter:
    """At most `limit` starts in any 60-second window; callers wait their turn."""

    def __init__(
        self,
        limit: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self.starts: deque[float] = deque()
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more call fits in the window, then take the slot."""
        async with self.lock:
            while True:
                now = self.clock()
                while self.starts and now - self.starts[0] >= 60:
                    self.starts.popleft()
                if len(self.starts) < self.limit:
                    self.starts.append(now)
                    return
                await self.sleep(60 - (now - self.starts[0]))


@dataclass
class LlmSettings:
    """The client's knobs (from Settings in the app, set directly in tests)."""

    api_key: str
    base_url: str
    models: dict[str, str]
    timeout_seconds: float = 60
    max_attempts: int = 4
    concurrency: int = 10
    calls_per_minute: int = 60
    daily_budget_usd: float = 100
    retry_base_seconds: float = 0.5
    referer: str = "https://lpxgp.com"
    extra_body: dict[str, Any] = field(default_factory=dict)


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class LlmClient:
    """Structured chat completions with retries, caps, cost recording and a daily budget."""

    def __init__(
        self,
        settings: LlmSettings,
        log: CallLog,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tracing: Tracing | None = None,
        prompts: PromptSource | None = None,
    ) -> None:
        self.settings = settings
        self.log = log
        self.tracing = tracing or Tracing(None)
        self.prompts = prompts or PromptSource()
        self.sleep = sleep
        self.semaphore = asyncio.Semaphore(settings.concurrency)
        self.limiter = PerMinuteLimiter(settings.calls_per_minute, sleep=sleep)
        self._http = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/") + "/",
            timeout=settings.timeout_seconds,
            transport=transport,
            headers={
                "Authorization": f"Bearer {settings.api_key}",
                "HTTP-Referer": settings.referer,
                "X-Title": "LPxGP",
            },
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    def model_for(self, role: Role) -> str:
        """The configured model of a role."""
        return self.settings.models[role]

    async def structured(
        self,
        *,
        role: Role,
        messages: list[dict[str, str]],
        schema: type[T],
        context: CallContext,
    ) -> Completion[T]:
        """A reply parsed into `schema`, repaired once if needed; raises LlmError otherwise."""
        spent = await self.log.spent_today()
        budget = self.settings.daily_budget_usd
        if spent >= budget:
            await self.log.budget_exhausted(spent, budget)
            raise LlmBudgetExhausted(f"daily LLM budget of ${budget:g} reached (${spent:.2f})")
        model = self.model_for(role)
        conversation = list(messages)
        totals = Completion[T](schema.model_construct(), model, 0, 0, 0.0, 0, 0)
        for repair in (False, True):
            content = await self._call(model, conversation, schema, context, totals)
            try:
                totals.value = schema.model_validate(json.loads(content))
                return totals
            except (json.JSONDecodeError, ValidationError) as exc:
                problem = _describe(exc)
                logger.info("llm_output_invalid", extra={"agent": context.agent, "repair": repair})
                if repair:
                    raise LlmInvalidOutput(f"reply did not match the schema: {problem}") from exc
                conversation += [
                    {"role": "assistant", "content": content[:20_000]},
                    {
                        "role": "user",
                        "content": "Your reply is not valid for the required JSON schema "
                        f"({problem}). Reply again with only the corrected JSON object.",
                    },
                ]
        raise AssertionError("unreachable")

    async def _call(
        self,
        model: str,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
        context: CallContext,
        totals: Completion[Any],
    ) -> str:
        """One logical call: retried HTTP attempts until a reply with content arrives."""
        body = {
            "model": model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.__name__,
                    "strict": True,
                    "schema": strict_schema(schema),
                },
            },
            "provider": {"require_parameters": True, "data_collection": "deny"},
            **self.settings.extra_body,
        }
        last = "no attempt made"
        last_wait: float | None = None
        for attempt in range(self.settings.max_attempts):
            if attempt:
                await self.sleep(self._backoff(attempt, last_wait))
                last_wait = None
            async with self.semaphore:
                await self.limiter.acquire()
                started = time.perf_counter()
                try:
                    return await self._attempt(body, model, context, totals, started)
                except _Retry as retry:
                    last, last_wait = retry.reason, retry.wait
                    logger.info(
                        "llm_retry",
                        extra={"agent": context.agent, "attempt": attempt + 1, "reason": last},
                    )
        raise LlmUnavailable(f"gave up after {self.settings.max_attempts} attempts: {last}")

    async def _attempt(
        self,
        body: dict[str, Any],
        model: str,
        context: CallContext,
        totals: Completion[Any],
        started: float,
    ) -> str:
        generation = self.tracing.generation(
            name=context.agent,
            model=model,
            metadata={"prompt": context.prompt_name, "prompt_version": context.prompt_version},
        )

        async def record(
            status: Literal["ok", "error"], usage: dict[str, Any], error: str | None
        ) -> None:
            latency = int((time.perf_counter() - started) * 1000)
            tokens_in = int(usage.get("prompt_tokens") or 0)
            tokens_out = int(usage.get("completion_tokens") or 0)
            cost = float(usage.get("cost") or 0.0)
            totals.calls += 1
            totals.input_tokens += tokens_in
            totals.output_tokens += tokens_out
            totals.cost_usd += cost
            totals.latency_ms += latency
            generation.update(
                usage_details={"input": tokens_in, "output": tokens_out},
                cost_details={"total": cost},
                metadata={"latency_ms": latency, "status": status},
                **({"level": "ERROR", "status_message": error} if error else {}),
            )
            generation.end()
            await self.log.record(
                CallRecord(context, model, tokens_in, tokens_out, cost, latency, status, error)
            )

        try:
            response = await self._http.post("chat/completions", json=body)
        except httpx.TimeoutException as exc:
            await record("error", {}, "timeout")
            raise _Retry("timeout") from exc
        except httpx.TransportError as exc:
            await record("error", {}, f"transport: {type(exc).__name__}")
            raise _Retry(f"transport error ({type(exc).__name__})") from exc
        payload = _json(response)
        error = payload.get("error") if isinstance(payload, dict) else None
        if response.status_code != 200 or error:
            message = _error_message(response.status_code, error)
            await record(
                "error", payload.get("usage") or {} if isinstance(payload, dict) else {}, message
            )
            if response.status_code == 429:
                raise _Retry(message, _retry_after(response))
            if response.status_code in (408, 500, 502, 503, 504) or (
                response.status_code == 200 and error
            ):
                raise _Retry(message)
            raise LlmUnavailable(message)  # 400, 401, 402, 403: retrying cannot help
        choice = (payload.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content")
        usage = payload.get("usage") or {}
        if choice.get("finish_reason") == "error" or not isinstance(content, str):
            await record("error", usage, "no content in the reply")
            raise _Retry("no content in the reply")
        await record("ok", usage, None)
        return content

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_SECONDS)
        base = float(self.settings.retry_base_seconds) * 2.0 ** (attempt - 1)
        jitter = random.uniform(0.5, 1.5)  # noqa: S311 - spreading retries, not security
        return float(min(MAX_BACKOFF_SECONDS, base * jitter))


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema as strict mode wants it: every property required, no extras."""

    def tighten(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: tighten(v) for k, v in node.items() if k not in ("title", "default")}
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            return node
        if isinstance(node, list):
            return [tighten(v) for v in node]
        return node

    result: dict[str, Any] = tighten(model.model_json_schema())
    return result


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _error_message(status: int, error: Any) -> str:
    if isinstance(error, dict):
        return f"HTTP {status}: {error.get('code', status)} {str(error.get('message', ''))[:200]}"
    return f"HTTP {status}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the object"
        return f"{where}: {first['msg']}"
    return f"not JSON ({exc})"[:200]
