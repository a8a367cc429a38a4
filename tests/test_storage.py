"""Both storage providers keep files by server-made paths; Supabase's over real HTTP."""

from __future__ import annotations

import uuid

import pytest

from src.storage import LocalStorage, StorageUnavailable, SupabaseStorage
from tests.fakes.server import serve
from tests.fakes.storage import StorageState, storage_app

KEY = "sb_secret_fake_storage_key"


def path() -> str:
    return f"{uuid.uuid4()}/{uuid.uuid4()}.pdf"


@pytest.fixture
def fake_storage():
    state = StorageState(key=KEY)
    with serve(storage_app(state)) as url:
        yield state, url


async def test_supabase_storage_puts_gets_and_deletes_over_http(fake_storage):
    state, url = fake_storage
    storage = SupabaseStorage(url=url, key=KEY)
    where = path()
    await storage.put(where, b"%PDF-1.4 deck", content_type="application/pdf")
    assert state.objects[f"decks/{where}"] == (b"%PDF-1.4 deck", "application/pdf")
    assert await storage.get(where) == b"%PDF-1.4 deck"
    with pytest.raises(StorageUnavailable, match="nothing was saved"):
        await storage.put(where, b"%PDF-1.4 other", content_type="application/pdf")
    await storage.delete(where)
    assert state.objects == {}
    await storage.aclose()


async def test_supabase_storage_failures_are_reported_not_raised_raw(fake_storage):
    state, url = fake_storage
    wrong = SupabaseStorage(url=url, key="wrong")
    with pytest.raises(StorageUnavailable):
        await wrong.put(path(), b"x", content_type="text/plain")
    await wrong.aclose()
    state.outage = True
    storage = SupabaseStorage(url=url, key=KEY)
    with pytest.raises(StorageUnavailable):
        await storage.get(path())
    await storage.aclose()


async def test_local_storage_refuses_paths_the_server_did_not_make(tmp_path):
    storage = LocalStorage(tmp_path)
    where = path()
    await storage.put(where, b"data", content_type="application/pdf")
    assert await storage.get(where) == b"data"
    assert not list(tmp_path.rglob("*.part"))
    for bad in ("../../etc/passwd", f"{uuid.uuid4()}/../x.pdf", "/abs/path.pdf"):
        with pytest.raises(ValueError, match="not a storage path"):
            await storage.put(bad, b"x", content_type="text/plain")
    await storage.delete(where)
    await storage.delete(where)  # already gone: no error
