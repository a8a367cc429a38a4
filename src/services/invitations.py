"""Invitations: org admins invite, resend and revoke; the invitee accepts with a name and password.

The link carries a random token; we store only its hash. Invitations expire after 7 days, and
an address has at most one live invitation. Addresses that already have an account cannot be
invited (they would be asked to create a second one).
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta

from psycopg import errors
from pydantic import BaseModel

from src.auth.providers import (
    AccountExists,
    AuthSession,
    IdentityProvider,
    ProviderUnavailable,
    WeakPassword,
)
from src.auth.tokens import token_hash
from src.db.queries import invitations as queries
from src.db.queries.invitations import InvitationPreview, InvitationRow
from src.db.queries.users import Conn, insert_audit
from src.db.tenancy import Pool, user_transaction
from src.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from src.services.auth import check_new_password, normalise_email
from src.services.users import ROLES, clean_name

INVITATION_LIFETIME = timedelta(days=7)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_LABELS = {"viewer": "viewer (read only)", "member": "member", "admin": "admin"}


class IssuedInvitation(BaseModel):
    """An invitation and the link to give the invitee (shown once; we keep only a hash)."""

    invitation: InvitationRow
    link: str


def invitation_link(public_url: str, token: str) -> str:
    """Where the invitee accepts."""
    return f"{public_url.rstrip('/')}/invite/{token}"


def validate_invitee(email: str, role: str) -> str:
    """The normalised address, or InvalidInput naming the field."""
    email = normalise_email(email)
    if not EMAIL.match(email):
        raise InvalidInput(
            "Enter a valid email address.",
            details=[{"field": "email", "message": "Enter an address like name@firm.com."}],
        )
    if role not in ROLES:
        raise InvalidInput(
            "Choose a role.",
            details=[{"field": "role", "message": f"Choose one of: {', '.join(ROLES)}."}],
        )
    return email


async def invite(
    conn: Conn,
    *,
    org_id: uuid.UUID,
    org_name: str,
    email: str,
    role: str,
    now: datetime,
    public_url: str,
    ip: str | None,
) -> IssuedInvitation:
    """Create an invitation (replacing an expired one for the same address) and queue its email."""
    email = validate_invitee(email, role)
    if await queries.email_has_account(conn, email=email):
        raise Conflict(
            f"{email} already has an LPxGP account.",
            details=[{"field": "email", "message": "This address already has an account."}],
        )
    await queries.expire_stale_invitations(conn, email=email)
    token = secrets.token_urlsafe(32)
    try:
        async with conn.transaction():
            row = await queries.insert_invitation(
                conn,
                org_id=org_id,
                email=email,
                role=role,
                token_hash=token_hash(token),
                expires_at=now + INVITATION_LIFETIME,
            )
    except errors.UniqueViolation as exc:
        # It may be another organisation's invitation: say nothing about whose.
        ours = await queries.get_open_invitation_for_email(conn, email=email)
        message = (
            "This address already has an open invitation from your team. Resend or revoke it."
            if ours is not None
            else "This address cannot be invited right now. Try again in a few days."
        )
        raise Conflict(message, details=[{"field": "email", "message": message}]) from exc
    return await _issue(
        conn, row, org_name, invitation_link(public_url, token), "invitation.created", ip
    )


async def _issue(
    conn: Conn, row: InvitationRow, org_name: str, link: str, action: str, ip: str | None
) -> IssuedInvitation:
    """Queue the email with the link and audit the event."""
    body = (
        f"You have been invited to join {org_name} on LPxGP as {ROLE_LABELS[row.access_role]}.\n\n"
        f"Accept the invitation and choose a password here (the link works until "
        f"{row.expires_at:%d %B %Y}):\n\n{link}\n"
    )
    await queries.queue_invitation_email(
        conn, invitation_id=row.id, subject=f"Join {org_name} on LPxGP", body=body
    )
    await insert_audit(
        conn,
        action=action,
        org_id=row.org_id,
        entity_type="invitation",
        entity_id=row.id,
        details={"email": row.email, "role": row.access_role},
        ip=ip,
    )
    return IssuedInvitation(invitation=row, link=link)


async def _open_invitation(
    conn: Conn, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> InvitationRow:
    row = await queries.get_invitation(conn, org_id=org_id, invitation_id=invitation_id)
    if row is None:
        raise NotFound("invitation", invitation_id)
    if row.accepted_at is not None or row.revoked_at is not None:
        raise Conflict("This invitation was already accepted or revoked.")
    return row


async def resend(
    conn: Conn,
    *,
    org_id: uuid.UUID,
    org_name: str,
    invitation_id: uuid.UUID,
    now: datetime,
    public_url: str,
    ip: str | None,
) -> IssuedInvitation:
    """A fresh link and seven more days; the old link stops working."""
    row = await _open_invitation(conn, org_id, invitation_id)
    token = secrets.token_urlsafe(32)
    expires = now + INVITATION_LIFETIME
    await queries.renew_invitation(
        conn, invitation_id=row.id, token_hash=token_hash(token), expires_at=expires
    )
    row = row.model_copy(update={"expires_at": expires})
    return await _issue(
        conn, row, org_name, invitation_link(public_url, token), "invitation.resent", ip
    )


async def revoke(
    conn: Conn, *, org_id: uuid.UUID, invitation_id: uuid.UUID, now: datetime, ip: str | None
) -> InvitationRow:
    """Withdraw an open invitation."""
    row = await _open_invitation(conn, org_id, invitation_id)
    await queries.revoke_invitation(conn, invitation_id=row.id, now=now)
    await insert_audit(
        conn,
        action="invitation.revoked",
        org_id=org_id,
        entity_type="invitation",
        entity_id=row.id,
        ip=ip,
    )
    return row.model_copy(update={"revoked_at": now})


async def preview(conn: Conn, *, token: str, now: datetime) -> InvitationPreview:
    """The invitation behind a link, if it can still be accepted."""
    row = await queries.get_invitation_by_token(conn, token_hash=token_hash(token))
    if row is None or row.revoked_at is not None:
        raise NotFound("invitation")
    if row.accepted_at is not None:
        raise Conflict("This invitation has already been accepted. Sign in instead.")
    if row.expires_at <= now:
        raise Conflict("This invitation has expired. Ask your admin to send a new one.")
    return row


ACCEPT_ERRORS = {
    "invitation_not_found": NotFound("invitation"),
    "invitation_used": Conflict("This invitation has already been accepted. Sign in instead."),
    "invitation_expired": Conflict(
        "This invitation has expired. Ask your admin to send a new one."
    ),
    "invitation_wrong_user": Conflict("This invitation is for another email address."),
}


async def accept(
    pool: Pool,
    provider: IdentityProvider,
    *,
    token: str,
    full_name: str,
    password: str,
    confirm: str | None,
    now: datetime,
) -> AuthSession:
    """Create the account, make it a member, and sign it in."""
    name = clean_name(full_name)
    async with user_transaction(pool, None) as conn:
        invitation = await preview(conn, token=token, now=now)
    check_new_password(password, confirm, email=invitation.email)
    try:
        user_id = await provider.create_user(invitation.email, password)
    except AccountExists as exc:
        raise Conflict("An account with this email already exists. Sign in instead.") from exc
    except WeakPassword as exc:
        raise InvalidInput(
            exc.problems[0], details=[{"field": "password", "message": " ".join(exc.problems)}]
        ) from exc
    except ProviderUnavailable as exc:
        raise ServiceUnavailable(
            "Accounts cannot be created right now. Please try again shortly."
        ) from exc
    try:
        async with user_transaction(pool, None) as conn:
            await queries.accept_invitation(
                conn, token_hash=token_hash(token), user_id=user_id, full_name=name
            )
    except (errors.RaiseException, errors.NoDataFound) as exc:
        # The invitation was revoked or renewed meanwhile: undo the account, or it would be
        # an account with no organisation that can never be invited again.
        await provider.delete_user(user_id)
        raise ACCEPT_ERRORS.get(
            str(exc.diag.message_primary), Conflict("This invitation cannot be used.")
        ) from exc
    try:
        return await provider.sign_in(invitation.email, password)
    except (ProviderUnavailable, AccountExists) as exc:
        raise ServiceUnavailable(
            "Your account is ready, but signing in failed. Please sign in."
        ) from exc
