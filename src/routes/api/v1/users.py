"""The signed-in user, and an org admin's team, for API clients."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from src.db.queries.invitations import InvitationRow, list_open_invitations
from src.db.queries.users import MemberRow
from src.deps import (
    AuthDep,
    ClientIp,
    CurrentUser,
    Db,
    Now,
    OrgAdmin,
    PoolDep,
    SettingsDep,
    SignedIn,
)
from src.errors import InvalidInput
from src.services import auth as auth_service
from src.services import invitations, users
from src.services.invitations import IssuedInvitation
from src.services.users import User

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Role = Literal["viewer", "member", "admin"]


class MeUpdate(BaseModel):
    """Fields a user may change about themselves; a new password needs the current one."""

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    current_password: str | None = Field(default=None, max_length=1024)
    new_password: str | None = Field(default=None, max_length=1024)


class Team(BaseModel):
    """An organisation's members and open invitations."""

    members: list[MemberRow]
    invitations: list[InvitationRow]


class InvitationRequest(BaseModel):
    """Whom to invite, with which role."""

    email: str = Field(min_length=3, max_length=320)
    role: Role = "member"


class MemberUpdate(BaseModel):
    """A new role (which also reactivates a deactivated member), or `active: false`."""

    role: Role | None = None
    active: Literal[False] | None = None


@router.get("/me")
async def get_me(user: CurrentUser) -> User:
    """Who the token belongs to."""
    return user


@router.patch("/me")
async def update_me(
    body: MeUpdate,
    user: CurrentUser,
    principal: SignedIn,
    db: Db,
    pool: PoolDep,
    auth: AuthDep,
    now: Now,
    ip: ClientIp,
) -> User:
    """Change your name and/or password (the password needs the current one; this session stays)."""
    if body.full_name is not None:
        user = user.model_copy(
            update={"full_name": await users.rename(db, user, full_name=body.full_name)}
        )
    if body.new_password is not None:
        if not body.current_password:
            raise InvalidInput(
                "Give your current password to set a new one.",
                details=[{"field": "current_password", "message": "Required with new_password."}],
            )
        await auth_service.change_password(
            pool,
            auth.provider,
            principal,
            email=user.email or "",
            current=body.current_password,
            new=body.new_password,
            confirm=None,
            ip=ip,
            now=now,
        )
    return user


@router.get("")
async def list_users(user: OrgAdmin, db: Db) -> Team:
    """Members and open invitations of your organisation."""
    assert user.org_id is not None
    return Team(
        members=await users.list_team(db, user),
        invitations=await list_open_invitations(db, org_id=user.org_id),
    )


@router.post("/invitations", status_code=201)
async def invite(
    body: InvitationRequest, user: OrgAdmin, db: Db, now: Now, settings: SettingsDep, ip: ClientIp
) -> IssuedInvitation:
    """Invite someone by email; the response holds the link (shown once)."""
    assert user.org_id is not None and user.org_name is not None
    return await invitations.invite(
        db,
        org_id=user.org_id,
        org_name=user.org_name,
        email=body.email,
        role=body.role,
        now=now,
        public_url=settings.public_url,
        ip=ip,
    )


@router.post("/invitations/{invitation_id}/resend")
async def resend(
    invitation_id: uuid.UUID, user: OrgAdmin, db: Db, now: Now, settings: SettingsDep, ip: ClientIp
) -> IssuedInvitation:
    """A fresh link and seven more days."""
    assert user.org_id is not None and user.org_name is not None
    return await invitations.resend(
        db,
        org_id=user.org_id,
        org_name=user.org_name,
        invitation_id=invitation_id,
        now=now,
        public_url=settings.public_url,
        ip=ip,
    )


@router.delete("/invitations/{invitation_id}", status_code=204)
async def revoke(
    invitation_id: uuid.UUID, user: OrgAdmin, db: Db, now: Now, ip: ClientIp
) -> Response:
    """Withdraw an open invitation."""
    assert user.org_id is not None
    await invitations.revoke(db, org_id=user.org_id, invitation_id=invitation_id, now=now, ip=ip)
    return Response(status_code=204)


@router.patch("/{person_id}")
async def update_member(
    person_id: uuid.UUID, body: MemberUpdate, user: OrgAdmin, db: Db, now: Now, ip: ClientIp
) -> MemberRow:
    """Change a member's role or deactivate them."""
    if body.role is None and body.active is None:
        raise InvalidInput(
            "Nothing to change.",
            details=[{"field": "role", "message": "Give a role or active: false."}],
        )
    member = None
    if body.role is not None:
        member = await users.change_role(db, user, person_id=person_id, role=body.role, ip=ip)
    if body.active is False:
        member = await users.deactivate(db, user, person_id=person_id, today=now.date(), ip=ip)
    assert member is not None
    return member
