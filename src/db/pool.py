"""Where the database is, and the async connection pool the app shares."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from src.config import Settings
from src.db.embedded import EmbeddedDatabase, start_embedded


@dataclass(frozen=True)
class DatabaseTarget:
    """The URLs for the app's login role and for migrations, and the embedded server if any."""

    app_url: str
    admin_url: str
    embedded: EmbeddedDatabase | None = None


def resolve_database(settings: Settings) -> DatabaseTarget:
    """Use DATABASE_URL when set; otherwise start (or reuse) the embedded server. Blocking."""
    if settings.database_url is not None:
        app_url = settings.database_url.get_secret_value()
        admin = settings.database_admin_url
        return DatabaseTarget(app_url, admin.get_secret_value() if admin else app_url)
    embedded = start_embedded(settings.data_dir)
    return DatabaseTarget(embedded.app_url, embedded.admin_url, embedded)


PREPARE_THRESHOLD = 2  # a query is prepared on its 3rd execution on a connection


def create_pool(
    url: str, settings: Settings, *, prepared: bool | None = None
) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """Build the (unopened) pool; every connection is checked before it is handed out.

    Prepared statements follow `prepared`, else the DB_PREPARED_STATEMENTS setting; without
    them (prepare_threshold=None) Supabase's transaction pooler works.
    """
    prepared = settings.db_prepared_statements if prepared is None else prepared
    return AsyncConnectionPool(
        url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        kwargs={
            "prepare_threshold": PREPARE_THRESHOLD if prepared else None,
            "application_name": "lpxgp-web",
        },  # fmt: skip
        check=AsyncConnectionPool.check_connection,
        max_lifetime=30 * 60,
        max_idle=5 * 60,
        timeout=settings.db_pool_timeout_seconds,
        open=False,
        name="lpxgp",
    )


def pool_for(
    target: DatabaseTarget, settings: Settings
) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """The pool for a resolved database (the app and every command line use this).

    The embedded server has no pooler in front: prepared statements are always safe there.
    """
    prepared = settings.db_prepared_statements or target.embedded is not None
    return create_pool(target.app_url, settings, prepared=prepared)
