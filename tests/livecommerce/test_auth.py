"""Tokens: standard JWTs, and every way a forged or stale one is refused."""

from __future__ import annotations

import time

import jwt
import pytest

from livecommerce.web import ApiError
from livecommerce.web.auth import Role, TokenSigner

SECRET = "s" * 32


def test_tokens_are_standard_hs256_jwts() -> None:
    token = TokenSigner(SECRET).mint(Role.HOST, "alice", store_id="S1", nickname="小美")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice" and claims["role"] == "host" and claims["store"] == "S1"
    assert claims["nick"] == "小美" and claims["exp"] > time.time()


def test_verify_round_trip_and_cache() -> None:
    signer = TokenSigner(SECRET)
    token = signer.mint(Role.VIEWER, "u1")
    first = signer.verify(token)
    assert first.role is Role.VIEWER and first.user_id == "u1"
    assert signer.verify(token) is first


@pytest.mark.parametrize("forge", [
    lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),          # bad signature
    lambda t: TokenSigner("o" * 32).mint(Role.OPS, "x"),                      # other secret
    lambda t: jwt.encode({"sub": "x", "role": "ops", "exp": time.time() + 60}, "o" * 32, algorithm="HS256"),
    lambda t: jwt.encode({"sub": "x", "role": "ops", "exp": time.time() + 60}, SECRET, algorithm="HS512"),
    lambda t: jwt.encode({"sub": "x", "role": "ops", "exp": time.time() + 60}, None, algorithm="none"),
    lambda t: TokenSigner(SECRET).mint(Role.VIEWER, "u", ttl_s=-1),             # expired
    lambda t: jwt.encode({"sub": "x", "role": "king", "exp": time.time() + 60}, SECRET, algorithm="HS256"),
    lambda t: "a.b",
    lambda t: "",
    lambda t: "x.y.z",
])
def test_forged_or_stale_tokens_are_refused(forge) -> None:  # type: ignore[no-untyped-def]
    signer = TokenSigner(SECRET)
    token = forge(signer.mint(Role.VIEWER, "u1"))
    with pytest.raises(ApiError) as info:
        signer.verify(token)
    assert info.value.code == "unauthorized"


def test_host_token_needs_store() -> None:
    with pytest.raises(ValueError):
        TokenSigner(SECRET).mint(Role.HOST, "alice")
