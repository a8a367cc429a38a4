"""A fake Langfuse OTLP endpoint on 127.0.0.1: decodes the exported spans for assertions."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


@dataclass
class Collected:
    """Every span received: name, ids and attributes."""

    spans: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    api: list[dict[str, Any]] = field(default_factory=list)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: int | None = None  # answer every export with this HTTP status


def otlp_app(state: Collected) -> FastAPI:
    """POST /api/public/otel/v1/traces (protobuf, optionally gzip)."""
    app = FastAPI()

    @app.post("/api/public/otel/v1/traces")
    async def traces(request: Request) -> Response:
        state.auth.append(request.headers.get("authorization", ""))
        if state.refuse is not None:
            return Response(status_code=state.refuse)
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        for resource in message.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    state.spans.append({
                        "name": span.name,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_id": span.parent_span_id.hex(),
                        "attributes": {a.key: _value(a.value) for a in span.attributes},
                    })  # fmt: skip
        return Response(status_code=200)

    @app.get("/api/public/v2/prompts/{name}")
    async def prompt(name: str, label: str = "production") -> Response:
        found = state.prompts.get(f"{name}:{label}")
        if found is None:
            return Response('{"message": "Prompt not found"}', status_code=404,
                            media_type="application/json")  # fmt: skip
        body = {"type": "text", "name": name, "config": {}, "labels": [label], "tags": [],
                **found}  # fmt: skip
        return Response(json.dumps(body), media_type="application/json")

    @app.post("/api/public/{path:path}")
    async def public_api(path: str, request: Request) -> Response:
        # Scores go through Langfuse's ingestion API, not OTLP.
        state.api.append({"path": path, "body": await request.json()})
        return Response('{"successes": [], "errors": []}', status_code=207,
                        media_type="application/json")  # fmt: skip

    return app
