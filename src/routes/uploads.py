"""Long work that pages and the API share: reading uploads, running imports and debates."""

from __future__ import annotations

import uuid

from fastapi import BackgroundTasks, Request, UploadFile
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from src.agents.llm import LlmClient
from src.auth.tokens import Principal
from src.db.tenancy import service_transaction, user_transaction
from src.errors import InvalidInput
from src.services import debates, imports
from src.services.import_rules import MAX_BYTES
from src.services.users import User

CHUNK = 1024 * 1024


async def read_upload(
    request: Request,
    file: UploadFile | None,
    *,
    limit: int = MAX_BYTES,
    kind: str = "CSV file",
) -> bytes:
    """The upload's bytes, refusing files over `limit` while reading them."""
    megabytes = limit // (1024 * 1024)
    too_large = InvalidInput(
        f"The file is larger than {megabytes} MB.",
        details=[{"field": "file", "message": f"At most {megabytes} MB."}],
    )
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + CHUNK:
        raise too_large
    if file is None or not file.filename:
        raise InvalidInput(
            f"Choose a {kind} to upload.", details=[{"field": "file", "message": "Required."}]
        )
    data = bytearray()
    while chunk := await file.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise too_large
    return bytes(data)


def run_import_later(
    tasks: BackgroundTasks,
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]],
    principal: Principal,
    import_id: uuid.UUID,
) -> None:
    """Run the import after the response (and its committed transaction); the page polls."""
    tasks.add_task(imports.run, lambda: user_transaction(pool, principal), import_id)


def run_debate_later(
    tasks: BackgroundTasks,
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]],
    principal: Principal,
    user: User,
    debate_id: uuid.UUID,
    match_id: uuid.UUID,
    llm: LlmClient | None,
) -> None:
    """Run a started debate after the response (and its committed transaction); pages poll."""
    tasks.add_task(
        debates.run,
        lambda: user_transaction(pool, principal),
        lambda: service_transaction(pool),
        user,
        debate_id,
        match_id,
        llm,
    )
