"""Pitches for a match: generate (writer + critic), keep every version, edit, export as PDF.

Nothing is ever sent: a pitch is a draft the GP copies or downloads. A draft the critic rejects
(< 50 after the allowed rewrites) is not saved; the GP is told why. Every save is a new version.
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any, Final, Literal

from fpdf import FPDF
from psycopg import AsyncConnection
from psycopg.rows import TupleRow, class_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from src.agents import pitch as agent
from src.agents.llm import CallContext, LlmClient
from src.agents.pitch import PitchFacts
from src.agents.tracing import Tracing
from src.db.queries.funds import list_track_records
from src.db.queries.matches import MatchRow
from src.db.queries.users import insert_audit
from src.errors import InvalidInput, NotFound
from src.services import funds, matches
from src.services.formatting import money
from src.services.taxonomy import LP_TYPE_LABELS, STRATEGY_LABELS, geography_label
from src.services.users import User

Conn = AsyncConnection[TupleRow]
DB_KIND: Final = {"email": "email", "summary": "executive_summary"}
API_KIND: Final = {v: k for k, v in DB_KIND.items()}


class PitchRequest(BaseModel):
    """Which pitch to write for a match."""

    match_id: uuid.UUID
    kind: Literal["email", "summary"] = "email"
    tone: Literal["formal", "warm", "direct"] = "warm"


class PitchEdit(BaseModel):
    """A GP's edit: saved as a new version."""

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=8000)


class PitchVersion(BaseModel):
    """One saved text of a pitch."""

    version: int
    subject: str | None
    body: str
    generated_by: str
    review: dict[str, Any] | None
    created_at: datetime


class PitchView(BaseModel):
    """A pitch with every version, newest first."""

    id: uuid.UUID
    match_id: uuid.UUID
    fund_name: str
    lp_name: str
    kind: str
    tone: str
    created_at: datetime
    updated_at: datetime
    versions: list[PitchVersion] = []

    @property
    def current(self) -> PitchVersion:
        """The latest version."""
        return self.versions[0]


async def facts_for(conn: Conn, user: User, match_id: uuid.UUID) -> tuple[Any, PitchFacts]:
    """The match and the facts a pitch may use."""
    match = await matches.get(conn, user, match_id)
    return match, await facts_of(conn, match)


async def facts_of(conn: Conn, match: MatchRow) -> PitchFacts:
    """The facts a pitch for this match may use."""
    fund = await funds.get(conn, match.fund_id, match.org_id)
    records = await list_track_records(conn, fund_id=fund.id)
    return PitchFacts(
        fund_name=fund.name,
        strategy=STRATEGY_LABELS.get(
            fund.strategy or "", fund.strategy or "private markets"
        ).lower(),
        target=money(fund.target_size_musd),
        geographies=[geography_label(g) for g in fund.geographies],
        sectors=[s.replace("_", " ") for s in fund.sectors],
        thesis=(fund.thesis or "").strip(),
        track_record=[
            f"{r.name} ({r.vintage_year})"
            + (f", {money(r.size_musd)}" if r.size_musd is not None else "")
            + (f", {r.tvpi:.2f}x TVPI" if r.tvpi is not None else "")
            + (f", {r.net_irr_pct:.1f}% net IRR" if r.net_irr_pct is not None else "")
            for r in records
        ],
        team=(fund.team_summary or "").strip(),
        emerging=fund.is_emerging_manager,
        esg_policy=fund.has_esg_policy,
        lp_name=match.lp_name,
        lp_type=LP_TYPE_LABELS.get(match.lp_type, match.lp_type),
        status=fund.status.replace("_", " "),
        first_close=fund.first_close_on.strftime("%d %B %Y") if fund.first_close_on else None,
        fit=list(match.talking_points),
        concerns=list(match.concerns),
    )


async def generate(
    conn: Conn, user: User, request: PitchRequest, *, llm: LlmClient | None
) -> PitchView:
    """Write, review and save a pitch (version 1)."""
    match, facts = await facts_for(conn, user, request.match_id)
    result = await write(match, facts, request.kind, request.tone, llm=llm)
    if result.verdict == "rejected":
        raise InvalidInput(
            f"The draft did not pass review (score {result.review.score:.0f}): "
            + " ".join(result.review.notes or ["try another tone."]),
        )
    pitch_id = await save(conn, match, request.kind, request.tone, result, user.person_id)
    return await get(conn, user, pitch_id)


async def write(
    match: MatchRow,
    facts: PitchFacts,
    kind: Literal["email", "summary"],
    tone: Literal["formal", "warm", "direct"],
    *,
    llm: LlmClient | None,
    batch_run_id: uuid.UUID | None = None,
) -> agent.PitchResult:
    """Writer and critic, traced (no database work)."""
    context = CallContext(
        agent="pitch", prompt_name="pitch", prompt_version="", org_id=match.org_id,
        batch_run_id=batch_run_id,
    )  # fmt: skip
    tracing = llm.tracing if llm is not None else Tracing(None)
    metadata = {"fund_id": str(match.fund_id), "lp_org_id": str(match.lp_org_id),
                "org_id": str(match.org_id), "kind": kind}  # fmt: skip
    with tracing.trace("pitch", metadata):
        return await agent.write(facts, kind, tone, llm=llm, context=context)


async def save(
    conn: Conn,
    match: MatchRow,
    kind: str,
    tone: str,
    result: agent.PitchResult,
    person_id: uuid.UUID | None,
) -> uuid.UUID:
    """Store a reviewed draft as a new pitch (version 1); `person_id` None: the batch."""
    cur = await conn.execute(
        "insert into public.pitches (match_id, org_id, kind, tone, created_by)"
        " values (%(m)s, %(o)s, %(k)s, %(t)s, %(p)s) returning id",
        {"m": match.id, "o": match.org_id, "k": DB_KIND[kind], "t": tone, "p": person_id},
    )
    row = await cur.fetchone()
    assert row is not None
    review = {
        "score": result.review.score, "notes": result.review.notes, "verdict": result.verdict,
        "drafts": result.drafts, "model": result.model, "prompt_version": result.prompt_version,
        "fallback_reason": result.fallback_reason,
    }  # fmt: skip
    await _add_version(conn, person_id, row[0], match.org_id, result.draft.subject,
                       result.draft.body, result.generated_by, review)  # fmt: skip
    await insert_audit(
        conn, action="pitch.generated", org_id=match.org_id, entity_type="pitch",
        entity_id=row[0], details={"kind": kind, "verdict": result.verdict,
                                   "by": "user" if person_id else "batch"},
    )  # fmt: skip
    return uuid.UUID(str(row[0]))


async def _add_version(
    conn: Conn,
    person_id: uuid.UUID | None,
    pitch_id: uuid.UUID,
    org_id: uuid.UUID,
    subject: str,
    body: str,
    generated_by: str,
    review: dict[str, Any] | None,
) -> None:
    await conn.execute(
        """insert into public.pitch_versions (pitch_id, org_id, version, subject, body,
             generated_by, created_by, review)
           values (%(p)s, %(o)s, coalesce((select max(version) from public.pitch_versions
             where pitch_id = %(p)s), 0) + 1, %(s)s, %(b)s, %(g)s, %(u)s, %(r)s)""",
        {
            "p": pitch_id,
            "o": org_id,
            "s": subject,
            "b": body,
            "g": generated_by,
            "u": person_id,
            "r": Jsonb(review) if review is not None else None,
        },  # fmt: skip
    )
    await conn.execute(
        "update public.pitches set updated_at = now() where id = %(p)s", {"p": pitch_id}
    )


async def get(conn: Conn, user: User, pitch_id: uuid.UUID) -> PitchView:
    """One pitch of the user's organisation, with its versions."""
    cur = conn.cursor(row_factory=class_row(PitchView))
    await cur.execute(
        """select p.id, p.match_id, f.name as fund_name, o.name as lp_name, p.kind, p.tone,
             p.created_at, p.updated_at
           from public.pitches p
           join public.fund_lp_matches m on m.id = p.match_id
           join public.funds f on f.id = m.fund_id
           join public.organizations o on o.id = m.lp_org_id
           where p.id = %(id)s and p.org_id = %(org)s""",
        {"id": pitch_id, "org": user.org_id},
    )
    view = await cur.fetchone()
    if view is None:
        raise NotFound("pitch", pitch_id)
    view.kind = API_KIND.get(view.kind, view.kind)
    versions = conn.cursor(row_factory=class_row(PitchVersion))
    await versions.execute(
        "select version, subject, body, generated_by, review, created_at"
        " from public.pitch_versions where pitch_id = %(id)s order by version desc",
        {"id": pitch_id},
    )
    view.versions = await versions.fetchall()
    return view


async def edit(conn: Conn, user: User, pitch_id: uuid.UUID, change: PitchEdit) -> PitchView:
    """Save the GP's text as a new version."""
    current = await get(conn, user, pitch_id)
    if (change.subject.strip(), change.body.strip()) == (
        (current.current.subject or "").strip(),
        current.current.body.strip(),
    ):
        return current
    org = await conn.execute("select org_id from public.pitches where id = %(p)s", {"p": pitch_id})
    row = await org.fetchone()
    assert row is not None
    await _add_version(conn, user.person_id, pitch_id, row[0], change.subject.strip(),
                       change.body.strip(), "user", None)  # fmt: skip
    return await get(conn, user, pitch_id)


async def for_match(conn: Conn, user: User, match_id: uuid.UUID) -> list[PitchView]:
    """The match's pitches, newest first (without their versions)."""
    cur = await conn.execute(
        "select id from public.pitches where match_id = %(m)s and org_id = %(o)s"
        " order by created_at desc",
        {"m": match_id, "o": user.org_id},
    )
    return [await get(conn, user, row[0]) for row in await cur.fetchall()]


def _latin(text: str) -> str:
    """The PDF's core font is Latin-1: typographic punctuation becomes its plain form."""
    swaps = {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "↔": "<->", "…": "...",
             "•": "-", "\u00a0": " "}  # fmt: skip
    for old, new in swaps.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf(view: PitchView) -> bytes:
    """The current version as an A4 PDF (title, then the paragraphs)."""
    version = view.current
    document = FPDF(format="A4")
    document.set_title(_latin(version.subject or view.fund_name))
    document.set_author("LPxGP")
    document.set_margins(20, 20, 20)
    document.add_page()
    document.set_font("Helvetica", "B", 15)
    document.multi_cell(
        0, 8, _latin(version.subject or view.fund_name), new_x="LMARGIN", new_y="NEXT"
    )
    document.ln(3)
    document.set_font("Helvetica", "", 8)
    document.set_text_color(110, 110, 110)
    document.multi_cell(
        0,
        5,
        _latin(f"Prepared for {view.lp_name} - version {version.version}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    document.set_text_color(0, 0, 0)
    document.ln(4)
    for paragraph in version.body.split("\n\n"):
        heading, _, rest = paragraph.partition("\n")
        if rest and len(heading) < 40:
            document.set_font("Helvetica", "B", 11)
            document.multi_cell(0, 6, _latin(heading), new_x="LMARGIN", new_y="NEXT")
            paragraph = rest
        document.set_font("Helvetica", "", 11)
        document.multi_cell(0, 6, _latin(paragraph), new_x="LMARGIN", new_y="NEXT")
        document.ln(3)
    out = io.BytesIO()
    document.output(out)
    return out.getvalue()
