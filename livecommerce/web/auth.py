"""Signed bearer tokens, the principal they carry, and the role/scope checks every route makes.

Tokens are HS256 JWTs signed with the server secret. Verifying one costs tens of
microseconds, so verified tokens are cached (bounded) for the hot buy path.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

import jwt
from aiohttp import web

from livecommerce.web.errors import ApiError

__all__ = ["Principal", "Role", "TokenSigner", "SIGNER", "optional_principal", "require"]


class Role(StrEnum):
    VIEWER = "viewer"
    HOST = "host"
    OPS = "ops"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a viewer, a host scoped to one store, or an operator."""

    role: Role
    user_id: str
    store_id: str | None = None
    nickname: str | None = None
    expires_at: float = 0.0

    def may_manage_store(self, store_id: str) -> bool:
        return self.role is Role.OPS or (self.role is Role.HOST and self.store_id == store_id)


_DEFAULT_TTL = {Role.VIEWER: 7 * 86400, Role.HOST: 30 * 86400, Role.OPS: 30 * 86400}


class TokenSigner:
    """Mints and verifies tokens; the only holder of the secret on the HTTP side."""

    def __init__(self, secret: str, cache_size: int = 100_000) -> None:
        if len(secret) < 16:
            raise ValueError("secret must be at least 16 characters")
        self._secret = secret
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._cache_size = cache_size

    def mint(
        self,
        role: Role,
        user_id: str,
        store_id: str | None = None,
        nickname: str | None = None,
        ttl_s: int | None = None,
    ) -> str:
        if role is Role.HOST and not store_id:
            raise ValueError("a host token needs a store")
        now = int(time.time())
        claims: dict[str, object] = {
            "sub": user_id,
            "role": role.value,
            "iat": now,
            "exp": now + (ttl_s or _DEFAULT_TTL[role]),
        }
        if store_id:
            claims["store"] = store_id
        if nickname:
            claims["nick"] = nickname
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None and cached.expires_at > now:
            return cached
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
            principal = Principal(
                role=Role(claims["role"]),
                user_id=str(claims["sub"]),
                store_id=claims.get("store"),
                nickname=claims.get("nick"),
                expires_at=float(claims["exp"]),
            )
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise ApiError("unauthorized", "invalid or expired token") from exc
        if principal.role is Role.HOST and not principal.store_id:
            raise ApiError("unauthorized", "host token without a store")
        self._cache[token] = principal
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal

    def user_id_for_openid(self, openid: str) -> str:
        """A stable, non-reversible user id for a mini-program openid."""
        digest = hmac.new(self._secret.encode(), openid.encode(), hashlib.sha256).hexdigest()
        return "u_" + digest[:20]


SIGNER = web.AppKey("token_signer", TokenSigner)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError("unauthorized", "expected 'Authorization: Bearer <token>'")
    return token.strip()


def optional_principal(request: web.Request) -> Principal | None:
    token = _bearer(request)
    return None if token is None else request.app[SIGNER].verify(token)


def require(request: web.Request, *roles: Role) -> Principal:
    """The caller's principal, or 401 (no/invalid token) / 403 (role not allowed)."""
    token = _bearer(request)
    if token is None:
        raise ApiError("unauthorized", "missing bearer token")
    principal = request.app[SIGNER].verify(token)
    if roles and principal.role not in roles:
        raise ApiError("forbidden", f"this action needs role {' or '.join(r.value for r in roles)}")
    return principal
