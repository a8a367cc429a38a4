"""A fake Supabase Auth (GoTrue) server that speaks the real protocol.

Endpoints used by supabase-py's auth client: password and refresh-token grants, logout,
admin user create/update, recover and verify; the JWKS document; GoTrue's error shape
(`{"code", "msg"}` with `X-Supabase-Api-Version: 2024-01-01`). Access tokens are signed ES256
(published in the JWKS) or HS256 with a shared secret. Refresh tokens rotate; reusing a
rotated one fails like GoTrue does (outside its reuse interval, which this fake sets to 0).
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_VERSION = {"X-Supabase-Api-Version": "2024-01-01"}


@dataclass
class FakeGoTrue:
    """State and behaviour of one fake project."""

    url: str = ""
    algorithm: str = "ES256"
    hs256_secret: str = "fake-gotrue-jwt-secret-0123456789abcdef"
    anon_key: str = "sb_publishable_fake"
    service_key: str = "sb_secret_fake"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovery_tokens: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_next: tuple[int, str] | None = None
    expires_in: int = 3600
    jwks_down: bool = False
    on_create_user: Any = None  # called with the email after an account is created

    def __post_init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = "fake-key-1"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/v1"

    def add_user(self, email: str, password: str) -> str:
        user_id = str(uuid.uuid4())
        self.users[email.lower()] = {"id": user_id, "email": email.lower(), "password": password}
        return user_id

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def access_token(
        self, user: dict[str, Any], session_id: str, *, issued: int | None = None
    ) -> str:
        now = issued or int(time.time())
        claims = {"iss": self.auth_url, "aud": "authenticated", "sub": user["id"], "email": user["email"],
                  "role": "authenticated", "aal": "aal1", "session_id": session_id, "iat": now,
                  "exp": now + self.expires_in, "is_anonymous": False}  # fmt: skip
        if self.algorithm == "HS256":
            return jwt.encode(claims, self.hs256_secret, algorithm="HS256")
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})

    def session(self, user: dict[str, Any], session_id: str | None = None) -> dict[str, Any]:
        session_id = session_id or str(uuid.uuid4())
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = {"user": user["email"], "session": session_id, "used": False}
        now = int(time.time())
        return {"access_token": self.access_token(user, session_id, issued=now), "token_type": "bearer",
                "expires_in": self.expires_in, "expires_at": now + self.expires_in, "refresh_token": refresh,
                "user": self.user_json(user)}  # fmt: skip

    def user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "aud": "authenticated", "role": "authenticated", "email": user["email"],
                "app_metadata": {"provider": "email"}, "user_metadata": {},
                "created_at": "2026-01-01T00:00:00Z", "email_confirmed_at": "2026-01-01T00:00:00Z"}  # fmt: skip

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/auth/v1/.well-known/jwks.json", self._jwks),
            Route("/auth/v1/token", self._token, methods=["POST"]),
            Route("/auth/v1/logout", self._logout, methods=["POST"]),
            Route("/auth/v1/admin/users", self._create_user, methods=["POST"]),
            Route("/auth/v1/admin/users/{user_id}", self._update_user, methods=["PUT"]),
            Route("/auth/v1/admin/users/{user_id}", self._delete_user, methods=["DELETE"]),
            Route("/auth/v1/recover", self._recover, methods=["POST"]),
            Route("/auth/v1/verify", self._verify, methods=["POST"]),
        ])  # fmt: skip

    # --- handlers -------------------------------------------------------------------------
    def _error(self, status: int, code: str, message: str) -> Response:
        return JSONResponse({"code": code, "msg": message}, status_code=status, headers=API_VERSION)

    def _injected(self, request: Request) -> Response | None:
        self.calls.append(f"{request.method} {request.url.path}?{request.url.query}")
        if self.fail_next is None:
            return None
        status, code = self.fail_next
        self.fail_next = None
        return self._error(status, code, f"injected {code}")

    def _authorised(self, request: Request, key: str) -> bool:
        return request.headers.get("apikey") == key

    async def _jwks(self, request: Request) -> Response:
        if self.jwks_down:
            return Response("upstream unavailable", status_code=503)
        return JSONResponse(self.jwks())

    async def _token(self, request: Request) -> Response:
        if failure := self._injected(request):
            return failure
        if not self._authorised(request, self.anon_key):
            return self._error(401, "no_api_key", "No API key found in request")
        body = await request.json()
        if request.query_params.get("grant_type") == "password":
            user = self.users.get(str(body.get("email", "")).lower())
            if user is None or user["password"] != body.get("password"):
                return self._error(400, "invalid_credentials", "Invalid login credentials")
            return JSONResponse(self.session(user), headers=API_VERSION)
        token = self.refresh_tokens.get(body.get("refresh_token", ""))
        if token is None:
            return self._error(
                400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
            )
        if token["used"]:
            return self._error(
                400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"
            )
        token["used"] = True
        return JSONResponse(
            self.session(self.users[token["user"]], token["session"]), headers=API_VERSION
        )

    async def _logout(self, request: Request) -> Response:
        if failure := self._injected(request):
            return failure
        bearer = request.headers.get("authorization", "")[7:]
        try:
            claims = jwt.decode(bearer, options={"verify_signature": False})
        except jwt.PyJWTError:
            return self._error(401, "bad_jwt", "invalid JWT")
        for token in self.refresh_tokens.values():
            if token["session"] == claims.get("session_id"):
                token["used"] = True
        return Response(status_code=204, headers=API_VERSION)

    async def _create_user(self, request: Request) -> Response:
        if failure := self._injected(request):
            return failure
        if not self._authorised(request, self.service_key):
            return self._error(403, "not_admin", "User not allowed")
        body = await request.json()
        if str(body["email"]).lower() in self.users:
            return self._error(
                422, "email_exists", "A user with this email address has already been registered"
            )
        if len(body.get("password", "")) < 6:
            return JSONResponse({"code": "weak_password", "msg": "Password should be at least 6 characters",
                                 "weak_password": {"reasons": ["length"]}}, status_code=422, headers=API_VERSION)  # fmt: skip
        self.add_user(body["email"], body["password"])
        if self.on_create_user is not None:
            self.on_create_user(body["email"].lower())
        return JSONResponse(self.user_json(self.users[body["email"].lower()]), headers=API_VERSION)

    async def _update_user(self, request: Request) -> Response:
        if failure := self._injected(request):
            return failure
        if not self._authorised(request, self.service_key):
            return self._error(403, "not_admin", "User not allowed")
        body = await request.json()
        for user in self.users.values():
            if user["id"] == request.path_params["user_id"]:
                user["password"] = body.get("password", user["password"])
                return JSONResponse(self.user_json(user), headers=API_VERSION)
        return self._error(404, "user_not_found", "User not found")

    async def _delete_user(self, request: Request) -> Response:
        if not self._authorised(request, self.service_key):
            return self._error(403, "not_admin", "User not allowed")
        for email, user in list(self.users.items()):
            if user["id"] == request.path_params["user_id"]:
                del self.users[email]
                return JSONResponse({}, headers=API_VERSION)
        return self._error(404, "user_not_found", "User not found")

    async def _recover(self, request: Request) -> Response:
        if failure := self._injected(request):
            return failure
        body = await request.json()
        if str(body["email"]).lower() in self.users:
            self.recovery_tokens[secrets.token_hex(16)] = str(body["email"]).lower()
        return JSONResponse({}, headers=API_VERSION)

    async def _verify(self, request: Request) -> Response:
        if failure := self._injected(request):
            return failure
        body = await request.json()
        email = self.recovery_tokens.pop(body.get("token_hash", ""), None)
        if body.get("type") != "recovery" or email is None:
            return self._error(403, "otp_expired", "Email link is invalid or has expired")
        return JSONResponse(self.session(self.users[email]), headers=API_VERSION)
