"""Request dependencies, declared once as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from src.auth.providers import IdentityProvider
from src.auth.sessions import AuthRuntime
from src.auth.tokens import Principal
from src.config import Settings
from src.db.tenancy import user_transaction
from src.errors import Forbidden, Unauthorized, is_htmx
from src.services.users import User, load_user
from src.storage import Storage


def get_app_settings(request: Request) -> Settings:
    """Return the settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_pool(request: Request) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """Return the app's connection pool."""
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]] = request.app.state.pool
    return pool


def get_is_htmx(request: Request) -> bool:
    """Tell whether htmx asked for a fragment."""
    return is_htmx(request)


def get_auth(request: Request) -> AuthRuntime:
    """The identity provider, refresher and cookie rules of this app."""
    runtime: AuthRuntime = request.app.state.auth
    return runtime


def get_provider(request: Request) -> IdentityProvider:
    """The configured identity provider."""
    return get_auth(request).provider


def get_storage(request: Request) -> Storage:
    """The file storage provider."""
    storage: Storage = request.app.state.storage
    return storage


def get_now(request: Request) -> datetime:
    """The app's clock (tests inject their own)."""
    return get_auth(request).clock()


def get_principal(request: Request) -> Principal | None:
    """The verified caller, if any (set by the session middleware)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


def require_principal(request: Request) -> Principal:
    """A verified caller (token checks only, no database), or Unauthorized."""
    principal = get_principal(request)
    if principal is None:
        raise Unauthorized("Sign in first.")
    return principal


def client_ip(request: Request) -> str | None:
    """The caller's address as the proxy headers (trusted by uvicorn) report it."""
    return request.client.host if request.client else None


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PoolDep = Annotated[AsyncConnectionPool[AsyncConnection[TupleRow]], Depends(get_pool)]
IsHtmx = Annotated[bool, Depends(get_is_htmx)]
AuthDep = Annotated[AuthRuntime, Depends(get_auth)]
Provider = Annotated[IdentityProvider, Depends(get_provider)]
Now = Annotated[datetime, Depends(get_now)]
StorageDep = Annotated[Storage, Depends(get_storage)]
PrincipalDep = Annotated[Principal | None, Depends(get_principal)]
SignedIn = Annotated[Principal, Depends(require_principal)]
ClientIp = Annotated[str | None, Depends(client_ip)]


async def get_db(
    request: Request, pool: PoolDep, principal: PrincipalDep
) -> AsyncIterator[AsyncConnection[TupleRow]]:
    """One transaction per request under the caller's row-level security (anon if signed out).

    It commits before the response is sent (scope="function"), so a failed commit is an error
    response, never a success the database did not keep.
    """
    async with user_transaction(pool, principal) as conn:
        yield conn


Db = Annotated[AsyncConnection[TupleRow], Depends(get_db, scope="function")]


async def get_current_user(request: Request, db: Db, principal: PrincipalDep) -> User:
    """The signed-in user, or Unauthorized (and the session cookie is cleared)."""
    if principal is None:
        raise Unauthorized("You need to sign in to see this page.")
    user = await load_user(db, principal)
    if user is None:
        request.state.session_cookie = get_auth(request).cookies.clear_header()
        raise Unauthorized("Your session has ended. Please sign in again.")
    request.state.user_id = str(user.user_id)
    request.state.org_id = str(user.org_id) if user.org_id else None
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_optional_user(request: Request, db: Db, principal: PrincipalDep) -> User | None:
    """The signed-in user, or None for public pages that look different when signed in."""
    if principal is None:
        return None
    return await load_user(db, principal)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def require_member(user: CurrentUser) -> User:
    """Members and admins of a GP organisation: may write its data."""
    if not user.can_write:
        raise Forbidden(
            "Your role is read-only. Ask an admin of your organisation for member access."
        )
    return user


def require_admin(user: CurrentUser) -> User:
    """Admins of a GP organisation: may also manage its users."""
    if not user.is_org_admin:
        raise Forbidden("Only an admin of your organisation can do this.")
    return user


def require_platform_admin(user: CurrentUser) -> User:
    """LPxGP's own operators."""
    if not user.is_platform_admin:
        raise Forbidden("Only platform admins can do this.")
    return user


Member = Annotated[User, Depends(require_member)]
OrgAdmin = Annotated[User, Depends(require_admin)]
PlatformAdmin = Annotated[User, Depends(require_platform_admin)]
