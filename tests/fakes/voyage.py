"""A fake Voyage AI embeddings API on 127.0.0.1: POST /v1/embeddings, with injected failures."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class FakeVoyage:
    """Deterministic unit vectors per text; `failures` answers the next requests with errors."""

    dims: int = 1024
    failures: list[int | str] = field(default_factory=list)  # an HTTP status, or "slow"
    requests: list[dict] = field(default_factory=list)
    slow_seconds: float = 3.0
    url: str = ""

    def vector(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
        v = np.random.default_rng(seed).standard_normal(self.dims)
        return (v / np.linalg.norm(v)).tolist()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/embeddings", self._embed, methods=["POST"])])

    async def _embed(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if request.headers.get("authorization") != "Bearer pa-fake-key":
            return JSONResponse({"detail": "Provided API key is invalid."}, status_code=401)
        if self.failures:
            failure = self.failures.pop(0)
            if failure == "slow":
                await asyncio.sleep(self.slow_seconds)
            else:
                return JSONResponse(
                    {"detail": "You have exceeded your rate limit."}, status_code=int(failure)
                )
        data = [
            {"object": "embedding", "embedding": self.vector(t), "index": i}
            for i, t in enumerate(body["input"])
        ]
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"total_tokens": sum(len(t.split()) for t in body["input"])}})  # fmt: skip
