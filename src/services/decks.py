"""Pitch decks: check the PDF, extract its text, store it, propose fields, apply what is accepted.

The file is checked before anything is stored: size (25 MB, counted while reading), the `%PDF-`
magic bytes, and that pypdf can open it without a password. Text extraction is capped in pages
and time. The file is stored at `{org_id}/{uuid}.pdf`; if recording the deck then fails, the
file is removed again, so nothing is half-stored. The fund changes only on confirm.
"""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel
from pypdf import PdfReader

from src.db.queries.funds import FundDetail, list_track_records
from src.errors import Conflict, InvalidInput, NotFound
from src.services import funds
from src.services.deck_rules import propose
from src.services.users import User
from src.storage import Storage

logger = logging.getLogger(__name__)
Conn = AsyncConnection[TupleRow]

MAX_DECK_BYTES: Final = 25 * 1024 * 1024
MAX_PAGES: Final = 80
MAX_PAGE_COUNT: Final = 10_000
EXTRACT_SECONDS: Final = 20.0
MAX_TEXT: Final = 200_000
PROPOSABLE: Final = (
    "name", "fund_number", "target_size_musd", "hard_cap_musd", "strategy", "geographies",
    "sectors", "thesis", "has_esg_policy", "is_emerging_manager", "track_records",
)  # fmt: skip


class DeckError(InvalidInput):
    """The upload is not a PDF we can read; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, details=[{"field": "file", "message": message}])


class Deck(BaseModel):
    """An uploaded deck and what was proposed from it."""

    id: uuid.UUID
    fund_id: uuid.UUID
    file_name: str
    size_bytes: int
    page_count: int
    proposals: dict[str, Any]
    status: str
    created_at: datetime
    confirmed_at: datetime | None


def check_pdf(data: bytes) -> None:
    """Refuse what is not a readable PDF, with the reason a person can act on."""
    if not data:
        raise DeckError("The file is empty.")
    if len(data) > MAX_DECK_BYTES:
        raise DeckError("The deck is larger than 25 MB. Export a smaller PDF and try again.")
    if not data.startswith(b"%PDF-"):
        raise DeckError("This is not a PDF. Upload the deck as a PDF file.")


def _opens_without_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an encryption pypdf cannot even try (e.g. needs a crypto library)
        return False


def _extract(data: bytes) -> tuple[int, str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        # A PDF with only an owner password (printing or copying restricted) opens with an
        # empty user password; one that needs a password to open is refused.
        if reader.is_encrypted and not _opens_without_password(reader):
            raise DeckError(
                "This PDF is encrypted or password-protected. Upload an unprotected copy."
            )
        pages = len(reader.pages)
        if pages > MAX_PAGE_COUNT:
            raise DeckError("This PDF has more than 10,000 pages; upload the deck itself.")
        texts = []
        for page in reader.pages[:MAX_PAGES]:
            texts.append(page.extract_text() or "")
            if sum(map(len, texts)) > MAX_TEXT:
                break
    except DeckError:
        raise
    except Exception as exc:  # pypdf raises PyPdfError, and plain errors on odd files
        logger.info("deck_unreadable", extra={"error": type(exc).__name__})
        raise DeckError(
            "We could not read this PDF: it looks damaged. Export it again and retry."
        ) from exc
    if pages == 0:
        raise DeckError("This PDF has no pages.")
    return pages, "\n\n".join(texts)[:MAX_TEXT]


async def extract(data: bytes) -> tuple[int, str]:
    """(page count, text of the first pages), off the event loop and within the time cap."""
    check_pdf(data)
    try:
        return await asyncio.wait_for(asyncio.to_thread(_extract, data), EXTRACT_SECONDS)
    except TimeoutError as exc:
        raise DeckError(
            "Reading this PDF took too long. Upload a smaller export of the deck."
        ) from exc


async def upload(
    conn: Conn, user: User, storage: Storage, fund_id: uuid.UUID, file_name: str, data: bytes
) -> Deck:
    """Check, extract, store and record a deck; returns it with its proposals."""
    fund = await funds.get(conn, fund_id, user.org_id)
    pages, text = await extract(data)
    proposals = propose(text)
    path = f"{fund.org_id}/{uuid.uuid4()}.pdf"
    await storage.put(path, data, content_type="application/pdf")
    try:
        cur = conn.cursor(row_factory=class_row(Deck))
        await cur.execute(
            """insert into public.fund_decks (fund_id, org_id, storage_path, file_name,
                 size_bytes, page_count, extracted_text, proposals, uploaded_by)
               values (%(f)s, %(org)s, %(path)s, %(name)s, %(size)s, %(pages)s, %(text)s,
                 %(proposals)s, %(person)s)
               returning id, fund_id, file_name, size_bytes, page_count, proposals, status,
                 created_at, confirmed_at""",
            {
                "f": fund_id,
                "org": fund.org_id,
                "path": path,
                "name": (file_name or "deck.pdf")[-255:],
                "size": len(data),
                "pages": pages,
                "text": text.replace("\x00", ""),
                "proposals": Jsonb(proposals),
                "person": user.person_id,
            },
        )
        deck = await cur.fetchone()
    except BaseException:
        try:
            await storage.delete(path)
        except Exception:  # the original error matters more; the orphan is logged
            logger.exception("deck_cleanup_failed", extra={"path": path})
        raise
    assert deck is not None
    return deck


async def get(conn: Conn, fund_id: uuid.UUID, deck_id: uuid.UUID) -> Deck:
    """One deck of one of the organisation's funds."""
    cur = conn.cursor(row_factory=class_row(Deck))
    await cur.execute(
        """select id, fund_id, file_name, size_bytes, page_count, proposals, status, created_at,
             confirmed_at from public.fund_decks where id = %(d)s and fund_id = %(f)s""",
        {"d": deck_id, "f": fund_id},
    )
    deck = await cur.fetchone()
    if deck is None:
        raise NotFound("deck", deck_id)
    return deck


async def confirm(
    conn: Conn, user: User, fund_id: uuid.UUID, deck_id: uuid.UUID, accepted: dict[str, Any]
) -> FundDetail:
    """Apply the fields the GP accepted (as edited) to the fund, validated like any edit."""
    current = await funds.get(conn, fund_id, user.org_id)
    if (await get(conn, fund_id, deck_id)).status != "proposed":
        raise Conflict("These proposals were already applied or discarded.")
    unknown = sorted(set(accepted) - set(PROPOSABLE))
    if unknown:
        raise InvalidInput(
            f"Fields that a deck cannot set: {', '.join(unknown)}.",
            details=[{"field": k, "message": "Not a deck field."} for k in unknown],
        )
    records = await list_track_records(conn, fund_id=fund_id)
    fund_input = funds.parse({**funds.to_input(current, records), **accepted})
    # Claim the proposals and apply them together (a savepoint): a second confirm racing this
    # one finds nothing to claim, and a refusal while applying leaves the deck proposed.
    async with conn.transaction():
        claimed = await conn.execute(
            "update public.fund_decks set status = 'confirmed', confirmed_at = now()"
            " where id = %(d)s and fund_id = %(f)s and status = 'proposed' returning id",
            {"d": deck_id, "f": fund_id},
        )
        if await claimed.fetchone() is None:
            await get(conn, fund_id, deck_id)  # 404 when it is not there at all
            raise Conflict("These proposals were already applied or discarded.")
        return await funds.update(conn, user, fund_id, fund_input)


async def discard(conn: Conn, fund_id: uuid.UUID, deck_id: uuid.UUID) -> None:
    """Drop a deck's proposals without touching the fund."""
    deck = await get(conn, fund_id, deck_id)
    if deck.status == "proposed":
        await conn.execute(
            "update public.fund_decks set status = 'discarded' where id = %(d)s", {"d": deck_id}
        )
