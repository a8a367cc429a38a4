"""A fake Slack incoming webhook on 127.0.0.1: records each message, can be told to refuse."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


@dataclass
class FakeSlack:
    """Messages received; `refuse` answers the next requests with 500 (as Slack's outages do)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    refuse: int = 0
    delay: float = 0.0  # seconds before answering (a slow Slack)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/services/T000/B000/XXX", self._post, methods=["POST"])])

    async def _post(self, request: Request) -> PlainTextResponse:
        if request.headers.get("content-type") != "application/json":
            return PlainTextResponse("invalid_payload", status_code=400)
        body = await request.json()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            self.refuse -= 1
            return PlainTextResponse("server_error", status_code=500)
        if not isinstance(body.get("text"), str) or not body["text"]:
            return PlainTextResponse("no_text", status_code=400)
        self.messages.append(body)
        return PlainTextResponse("ok")

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]
