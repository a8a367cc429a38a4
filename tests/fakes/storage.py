"""A fake Supabase Storage API (the routes storage3 calls), served on 127.0.0.1 in tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse


@dataclass
class StorageState:
    """What the fake holds, and how it should misbehave."""

    key: str
    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    outage: bool = False


def storage_app(state: StorageState) -> FastAPI:
    """Upload (multipart POST), download (GET) and remove (DELETE with prefixes)."""
    app = FastAPI()

    def refuse(request: Request) -> Response | None:
        if state.outage:
            return JSONResponse({"statusCode": "503", "error": "unavailable",
                                 "message": "Service unavailable"}, status_code=503)  # fmt: skip
        if request.headers.get("authorization") != f"Bearer {state.key}":
            return JSONResponse({"statusCode": "403", "error": "Unauthorized",
                                 "message": "invalid signature"}, status_code=400)  # fmt: skip
        return None

    @app.post("/storage/v1/object/{bucket}/{path:path}")
    async def upload(bucket: str, path: str, request: Request) -> Response:
        if (refused := refuse(request)) is not None:
            return refused
        key = f"{bucket}/{path}"
        if key in state.objects and request.headers.get("x-upsert") != "true":
            return JSONResponse({"statusCode": "409", "error": "Duplicate",
                                 "message": "The resource already exists"}, status_code=400)  # fmt: skip
        async with request.form() as form:
            upload = form["file"]
            assert not isinstance(upload, str)
            state.objects[key] = (await upload.read(), upload.content_type or "")
        return JSONResponse({"Key": key, "Id": key})

    @app.get("/storage/v1/object/{bucket}/{path:path}")
    async def download(bucket: str, path: str, request: Request) -> Response:
        if (refused := refuse(request)) is not None:
            return refused
        if f"{bucket}/{path}" not in state.objects:
            return JSONResponse({"statusCode": "404", "error": "not_found",
                                 "message": "Object not found"}, status_code=400)  # fmt: skip
        data, content_type = state.objects[f"{bucket}/{path}"]
        return Response(data, media_type=content_type)

    @app.delete("/storage/v1/object/{bucket}")
    async def remove(bucket: str, request: Request) -> Response:
        if (refused := refuse(request)) is not None:
            return refused
        removed = []
        for path in (await request.json())["prefixes"]:
            if state.objects.pop(f"{bucket}/{path}", None) is not None:
                removed.append({"name": path})
        return JSONResponse(removed)

    return app
