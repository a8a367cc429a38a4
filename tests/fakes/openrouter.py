"""A fake OpenRouter (OpenAI-compatible chat completions) on 127.0.0.1, scripted per test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Step:
    """What the next request gets: `ok` with `content`, or an HTTP error, a 200 with an error
    object, a timeout-length delay."""

    kind: str = "ok"
    content: str = "{}"
    cost: float = 0.0012
    delay: float = 0.0
    retry_after: str | None = None


@dataclass
class OpenRouterState:
    """The script, what arrived, and how many requests were in flight at most."""

    key: str = "sk-or-test"
    script: list[Step] = field(default_factory=list)
    default: Step = field(default_factory=Step)
    # When set, decides each reply from the request body (for parallel callers).
    responder: Callable[[dict[str, Any]], Step] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


def openrouter_app(state: OpenRouterState) -> FastAPI:
    """POST /api/v1/chat/completions as OpenRouter answers it."""
    app = FastAPI()

    @app.post("/api/v1/chat/completions")
    async def complete(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {state.key}":
            return JSONResponse({"error": {"code": 401, "message": "No auth credentials"}}, 401)
        body = await request.json()
        state.requests.append(body)
        if state.responder is not None:
            step = state.responder(body)
        else:
            step = state.script.pop(0) if state.script else state.default
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if step.delay:
                await asyncio.sleep(step.delay)
        finally:
            state.in_flight -= 1
        if step.kind == "ok":
            return JSONResponse({
                "id": "gen-1", "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": step.content}}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200,
                          "cost": step.cost},
            })  # fmt: skip
        if step.kind == "error200":
            return JSONResponse({"error": {"code": 502, "message": "Provider returned error"}})
        status = int(step.kind)
        headers = {"Retry-After": step.retry_after} if step.retry_after else {}
        return JSONResponse(
            {"error": {"code": status, "message": f"fake {status}"}}, status, headers=headers
        )

    return app
