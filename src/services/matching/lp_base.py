"""The LP base as arrays: every LP's mandate loaded once for vectorised scoring (`bulk.py`).

One row per LP: set memberships as boolean matrices, sizes as floats with NaN for "no data",
and the mandate vectors of one model as one float32 matrix, streamed from a server-side cursor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.rows import TupleRow

Conn = AsyncConnection[TupleRow]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

# The LP columns the breakdown and reasons read, in the order `candidate_row` returns them.
LP_COLUMNS: Final = (
    "org_id", "name", "lp_type", "region", "aum_musd", "strategies", "geographies", "sectors",
    "fund_size_min_musd", "fund_size_max_musd", "check_size_min_musd", "check_size_max_musd",
    "min_track_record_years", "esg_required", "emerging_manager_program", "actively_looking",
    "data_quality_score", "last_verified_at", "hq_country",
)  # fmt: skip

_LP_QUERY = """
select p.org_id, p.lp_name, p.lp_type, p.region, p.aum_musd::float8, p.strategies,
  p.geographies, p.sectors, p.fund_size_min_musd::float8, p.fund_size_max_musd::float8,
  p.check_size_min_musd::float8, p.check_size_max_musd::float8, p.min_track_record_years,
  p.esg_required, p.emerging_manager_program, p.actively_looking,
  p.data_quality_score::float8, p.last_verified_at, o.hq_country, p.is_active
from market.lp_profiles p join public.organizations o on o.id = p.org_id
{where}
order by p.org_id
"""


class _VectorLoader(Loader):
    """pgvector's binary form (dims, unused, big-endian float32s) straight into numpy."""

    format = Format.BINARY

    def load(self, data: Any) -> npt.NDArray[np.float32]:
        return np.frombuffer(bytes(data), dtype=">f4", offset=4).astype(np.float32)


def _membership(values: Sequence[list[str]]) -> tuple[Bools, dict[str, int]]:
    vocabulary: dict[str, int] = {}
    for codes in values:
        for code in codes:
            vocabulary.setdefault(code, len(vocabulary))
    matrix = np.zeros((len(values), max(len(vocabulary), 1)), dtype=np.bool_)
    for row, codes in enumerate(values):
        for code in codes:
            matrix[row, vocabulary[code]] = True
    return matrix, vocabulary


def _floats(values: Sequence[float | int | None]) -> Floats:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _tristate(values: Sequence[bool | None]) -> Floats:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


@dataclass
class LpBase:
    """Every LP's matching facts as arrays; `rows` keeps the columns the reasons need."""

    rows: list[tuple[Any, ...]]
    model: str
    ids: list[uuid.UUID] = field(init=False)
    index: dict[uuid.UUID, int] = field(init=False)
    active: Bools = field(init=False)
    strategies: Bools = field(init=False)
    strategy_codes: dict[str, int] = field(init=False)
    # Whether each LP lists any strategy, geography or sector (an empty list never excludes).
    has_strategies: Bools = field(init=False)
    has_geographies: Bools = field(init=False)
    has_sectors: Bools = field(init=False)
    geographies: Bools = field(init=False)
    geography_codes: dict[str, int] = field(init=False)
    sectors: Bools = field(init=False)
    sector_codes: dict[str, int] = field(init=False)
    fund_min: Floats = field(init=False)
    fund_max: Floats = field(init=False)
    check_min: Floats = field(init=False)
    check_max: Floats = field(init=False)
    min_track: Floats = field(init=False)
    esg: Floats = field(init=False)
    lp_types: npt.NDArray[np.str_] = field(init=False)
    vectors: npt.NDArray[np.float32] | None = None
    has_vector: Bools = field(init=False)
    norms: Floats = field(init=False)

    def __post_init__(self) -> None:
        column = {name: i for i, name in enumerate(LP_COLUMNS)}
        self.ids = [r[0] for r in self.rows]
        self.index = {lp: i for i, lp in enumerate(self.ids)}
        self.active = np.array([bool(r[-1]) for r in self.rows], dtype=np.bool_)
        self.strategies, self.strategy_codes = _membership([r[5] for r in self.rows])
        self.geographies, self.geography_codes = _membership([r[6] for r in self.rows])
        self.sectors, self.sector_codes = _membership([r[7] for r in self.rows])
        self.has_strategies = np.asarray(self.strategies.any(axis=1))
        self.has_geographies = np.asarray(self.geographies.any(axis=1))
        self.has_sectors = np.asarray(self.sectors.any(axis=1))
        for name in ("fund_min", "fund_max", "check_min", "check_max", "min_track"):
            source = {"fund_min": "fund_size_min_musd", "fund_max": "fund_size_max_musd",
                      "check_min": "check_size_min_musd", "check_max": "check_size_max_musd",
                      "min_track": "min_track_record_years"}[name]  # fmt: skip
            setattr(self, name, _floats([r[column[source]] for r in self.rows]))
        self.esg = _tristate([r[column["esg_required"]] for r in self.rows])
        self.lp_types = np.array([r[2] for r in self.rows], dtype=np.str_)
        self.has_vector = np.zeros(len(self.rows), dtype=np.bool_)
        self.norms = np.zeros(len(self.rows), dtype=np.float64)

    def attach_vectors(self, pairs: Iterable[tuple[uuid.UUID, npt.NDArray[np.float32]]]) -> None:
        """Put each LP's mandate vector in its row of one matrix (a batch at a time)."""
        for lp, vector in pairs:
            row = self.index.get(lp)
            if row is None:
                continue
            if self.vectors is None:
                self.vectors = np.zeros((len(self.rows), len(vector)), dtype=np.float32)
            if len(vector) == self.vectors.shape[1]:
                self.vectors[row] = vector
                self.has_vector[row] = True

    def finish_vectors(self) -> None:
        """Each vector's length (without a float64 copy of the whole matrix)."""
        if self.vectors is not None:
            self.norms = np.sqrt(np.einsum("ij,ij->i", self.vectors, self.vectors,
                                           dtype=np.float64))  # fmt: skip

    def __len__(self) -> int:
        return len(self.rows)


async def load_lp_base(
    conn: Conn, *, model: str, only: Sequence[uuid.UUID] | None = None
) -> LpBase:
    """Every LP (or only some), with its mandate vector for `model`."""
    where = "where p.org_id = any(%(only)s)" if only is not None else ""
    params = {"only": list(only) if only is not None else None, "model": model}
    cur = await conn.execute(_LP_QUERY.format(where=where), params)  # noqa: S608 - constant
    base = LpBase(rows=list(await cur.fetchall()), model=model)
    oid_cur = await conn.execute("select to_regtype('extensions.vector')::oid")
    oid = await oid_cur.fetchone()
    if oid is None or oid[0] is None or not len(base):
        return base
    # A server-side cursor: the vectors stream in batches instead of one 150 MB result.
    async with conn.cursor(name="lp_mandate_vectors", binary=True) as vectors:
        vectors.adapters.register_loader(oid[0], _VectorLoader)
        await vectors.execute(
            "select org_id, embedding from market.lp_mandate_vectors where model = %(model)s"
            + (" and org_id = any(%(only)s)" if only is not None else ""),
            params,
        )
        while batch := await vectors.fetchmany(5000):
            base.attach_vectors(batch)
    base.finish_vectors()
    return base


def id_order(base: LpBase) -> npt.NDArray[np.int64]:
    """Each LP's rank by id, as Postgres orders uuids (byte order)."""
    ranks = np.empty(len(base), dtype=np.int64)
    ranks[np.argsort(np.array([lp.bytes for lp in base.ids], dtype=object))] = np.arange(len(base))
    return ranks
