"""Funds: create, edit, publish and close, with the product's validation rules.

A fund may be saved as a draft with only a name; it is published (leaves draft, and is matched)
only with a strategy and a target size. Every rule is checked here and reported per field, so
forms show the message next to the field and the API answers 422 naming it; the database's
CHECK constraints repeat the essentials.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Final, Literal

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from src.db.queries import funds as queries
from src.db.queries.funds import FundDetail, FundSummary, TrackRecord
from src.db.queries.users import insert_audit
from src.errors import Conflict, InvalidInput, NotFound
from src.services.taxonomy import (
    COUNTRY_NAMES,
    FUND_STATUSES,
    FUND_STRATEGIES,
    REGIONS,
    SECTORS,
)
from src.services.users import User

Conn = AsyncConnection[TupleRow]
Status = Literal["draft", "pre_marketing", "raising", "first_close", "final_close", "closed"]
MAX_SIZE_MUSD: Final = 1_000_000
PUBLISHED_STATUS: Final = "raising"
MAX_TRACK_RECORDS: Final = 20


class TrackRecordInput(BaseModel):
    """A prior fund of the manager."""

    name: str = Field(min_length=1, max_length=300)
    vintage_year: int = Field(ge=1980, le=2035)
    size_musd: float | None = Field(default=None, gt=0, le=MAX_SIZE_MUSD)
    net_irr_pct: float | None = Field(default=None, ge=-100, le=100)
    tvpi: float | None = Field(default=None, ge=0, le=100)

    @field_validator("name", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("size_musd", "net_irr_pct", "tvpi", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value


class FundInput(BaseModel):
    """Every field of a fund as a GP enters it (sizes in $ millions)."""

    name: str = Field(min_length=1, max_length=300)
    fund_number: int | None = Field(default=None, ge=1, le=100)
    status: Status = "draft"
    strategy: str | None = None
    # Stored with two decimals: the smallest size is $0.01m (a smaller one would round to 0).
    target_size_musd: float | None = Field(default=None, ge=0.01, le=MAX_SIZE_MUSD)
    hard_cap_musd: float | None = Field(default=None, ge=0.01, le=MAX_SIZE_MUSD)
    geographies: list[str] = Field(default_factory=list, max_length=40)
    sectors: list[str] = Field(default_factory=list, max_length=len(SECTORS))
    thesis: str | None = Field(default=None, max_length=10_000)
    team_summary: str | None = Field(default=None, max_length=5_000)
    has_esg_policy: bool = False
    esg_policy_text: str | None = Field(default=None, max_length=5_000)
    is_emerging_manager: bool = False
    first_close_on: date | None = None
    track_records: list[TrackRecordInput] = Field(
        default_factory=list, max_length=MAX_TRACK_RECORDS
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        # An empty form field means "not given"; text is trimmed.
        if isinstance(value, str):
            value = value.strip()
            if value == "" and info.field_name not in ("name",):
                return cls.model_fields[info.field_name or ""].get_default(
                    call_default_factory=True
                )
        if isinstance(value, list):
            return [v for v in value if v != ""]
        return value

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str | None) -> str | None:
        if value is not None and value not in FUND_STRATEGIES:
            raise ValueError(f"unknown strategy {value}; accepted: {', '.join(FUND_STRATEGIES)}")
        return value

    @field_validator("geographies")
    @classmethod
    def _known_geographies(cls, values: list[str]) -> list[str]:
        values = [v if v in REGIONS else v.upper() for v in values]
        unknown = [v for v in values if v not in REGIONS and v not in COUNTRY_NAMES]
        if unknown:
            raise ValueError(
                f"unknown geography {', '.join(unknown)}; accepted: {', '.join(REGIONS)} or an"
                " ISO country code"
            )
        return list(dict.fromkeys(values))

    @field_validator("sectors")
    @classmethod
    def _known_sectors(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in SECTORS]
        if unknown:
            raise ValueError(f"unknown sector {', '.join(unknown)}; accepted: {', '.join(SECTORS)}")
        return list(dict.fromkeys(values))


def problems(fund: FundInput) -> list[dict[str, str]]:
    """Rules across fields: caps, what publishing needs."""
    found = []
    if (
        fund.hard_cap_musd is not None
        and fund.target_size_musd is not None
        and fund.hard_cap_musd < fund.target_size_musd
    ):
        found.append(
            {"field": "hard_cap_musd", "message": "The hard cap must not be below the target size."}
        )
    if fund.status != "draft":
        if fund.strategy is None:
            found.append({"field": "strategy", "message": "Choose a strategy to publish the fund."})
        if fund.target_size_musd is None:
            found.append(
                {"field": "target_size_musd", "message": "Enter a target size to publish the fund."}
            )
    if fund.esg_policy_text and not fund.has_esg_policy:
        found.append(
            {
                "field": "has_esg_policy",
                "message": "Tick 'has an ESG policy' or remove the policy text.",
            }
        )
    return found


def _messages(exc: ValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        message = str(err["msg"]).removeprefix("Value error, ")
        details.append(
            {
                "field": ".".join(loc),
                "message": message[:1].upper()
                + message[1:]
                + ("" if message.endswith(".") else "."),
            }
        )
    return details


FIELD_LABELS: Final = {
    "name": "fund name", "fund_number": "fund number", "status": "status",
    "strategy": "strategy", "target_size_musd": "target size", "hard_cap_musd": "hard cap",
    "geographies": "geographies", "sectors": "sectors", "thesis": "thesis",
    "team_summary": "team", "has_esg_policy": "ESG policy", "esg_policy_text": "ESG policy text",
    "is_emerging_manager": "emerging manager", "first_close_on": "first close",
    "track_records": "track record",
}  # fmt: skip


def _summary(details: list[dict[str, str]]) -> str:
    """One sentence naming the fields to fix, e.g. "Please correct the hard cap."."""
    names = list(
        dict.fromkeys(FIELD_LABELS.get(d["field"].split(".")[0], d["field"]) for d in details)
    )
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Please correct the {listed}."


def parse(data: dict[str, Any]) -> FundInput:
    """Validate raw input (form or JSON); InvalidInput lists every problem by field."""
    try:
        fund = FundInput.model_validate(data)
    except ValidationError as exc:
        details = _messages(exc)
        raise InvalidInput(_summary(details), details=details) from exc
    found = problems(fund)
    if found:
        raise InvalidInput(_summary(found), details=found)
    return fund


def _writable(user: User) -> uuid.UUID:
    if user.org_id is None:
        raise NotFound("organisation")
    return user.org_id


async def create(conn: Conn, user: User, fund: FundInput) -> FundDetail:
    """A new fund of the user's organisation."""
    org_id = _writable(user)
    fund_id = await queries.insert_fund(
        conn, org_id=org_id, person_id=user.person_id, values=_columns(fund)
    )
    await queries.replace_track_records(
        conn, fund_id=fund_id, org_id=org_id, records=[r.model_dump() for r in fund.track_records]
    )
    await _audit(conn, user, "fund.created", fund_id, {"name": fund.name})
    return await get(conn, fund_id)


async def update(conn: Conn, user: User, fund_id: uuid.UUID, fund: FundInput) -> FundDetail:
    """Replace a fund's fields and track record (a change expires its matches)."""
    current = await get(conn, fund_id, user.org_id)
    if current.status == "closed" and fund.status != "closed":
        raise Conflict("A closed fund cannot be reopened; create a new fund instead.")
    if current.status != "draft" and fund.status == "draft":
        raise Conflict("A published fund cannot go back to draft; close it instead.")
    if not await queries.update_fund(conn, fund_id=fund_id, values=_columns(fund)):
        raise NotFound("fund", fund_id)
    await queries.replace_track_records(
        conn,
        fund_id=fund_id,
        org_id=current.org_id,
        records=[r.model_dump() for r in fund.track_records],
    )
    await _audit(conn, user, "fund.updated", fund_id, {"status": fund.status})
    return await get(conn, fund_id)


async def set_status(conn: Conn, user: User, fund_id: uuid.UUID, status: str) -> FundDetail:
    """Publish (leave draft), move along the raise, or close."""
    if status not in FUND_STATUSES:
        raise InvalidInput(
            f"Unknown status {status!r}; accepted: {', '.join(FUND_STATUSES)}.",
            details=[{"field": "status", "message": f"Choose one of {', '.join(FUND_STATUSES)}."}],
        )
    current = await get(conn, fund_id, user.org_id)
    if current.status != "draft" and status == "draft":
        raise Conflict("A published fund cannot go back to draft; close it instead.")
    if status != "draft" and (current.strategy is None or current.target_size_musd is None):
        missing = [
            {"field": f, "message": m}
            for f, m, v in (
                ("strategy", "Choose a strategy to publish the fund.", current.strategy),
                (
                    "target_size_musd",
                    "Enter a target size to publish the fund.",
                    current.target_size_musd,
                ),
            )
            if v is None
        ]
        raise InvalidInput(
            "The fund needs a strategy and a target size to be published.", details=missing
        )
    if current.status == status:
        return current
    if current.status == "closed" and status != "closed":
        raise Conflict("A closed fund cannot be reopened; create a new fund instead.")
    await queries.update_status(conn, fund_id=fund_id, status=status)
    await _audit(conn, user, "fund.status", fund_id, {"from": current.status, "to": status})
    return await get(conn, fund_id)


async def get(conn: Conn, fund_id: uuid.UUID, org_id: uuid.UUID | None = None) -> FundDetail:
    """One fund (404 when missing or another organisation's).

    Row-level security shows a person every organisation they belong to; pages and the API
    act for the user's current organisation only, so `org_id` narrows it to that one.
    """
    fund = await queries.get_fund(conn, fund_id=fund_id)
    if fund is None or (org_id is not None and fund.org_id != org_id):
        raise NotFound("fund", fund_id)
    return fund


async def list_funds(conn: Conn, user: User) -> list[FundSummary]:
    """The organisation's funds."""
    if user.org_id is None:
        return []
    return await queries.list_funds(conn, org_id=user.org_id)


def to_input(fund: FundDetail, records: list[TrackRecord]) -> dict[str, Any]:
    """A stored fund as form values."""
    values = fund.model_dump()
    values["track_records"] = [r.model_dump() for r in records]
    return values


async def _audit(
    conn: Conn, user: User, action: str, fund_id: uuid.UUID, details: dict[str, Any]
) -> None:
    await insert_audit(
        conn,
        action=action,
        org_id=user.org_id,
        entity_type="fund",
        entity_id=fund_id,
        details=details,
    )


def _columns(fund: FundInput) -> dict[str, Any]:
    return fund.model_dump(exclude={"track_records"})
