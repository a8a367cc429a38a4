"""Fixtures of the agent tests."""

from __future__ import annotations

import pytest

from src.db.pool import create_pool


@pytest.fixture
async def pool(empty_db, make_settings):
    """A pool on a fresh database of its own (room for a batch worker's parallel items)."""
    pool = create_pool(empty_db.app_url, make_settings(db_pool_max_size=12))
    await pool.open(wait=True)
    yield pool
    await pool.close()
