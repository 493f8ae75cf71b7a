"""Inbound message models (validated, size-capped at the socket) and outbound message builders."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

__all__ = ["Inbound", "parse_inbound", "out", "BadMessage"]

_UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChatIn(_Msg):
    type: Literal["chat"]
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LikeIn(_Msg):
    type: Literal["like"]
    count: Annotated[int, Field(ge=1, le=50)] = 1


class MuteIn(_Msg):
    """Host only: mute (or unmute) a viewer in this room."""

    type: Literal["mute"]
    user_id: _UserId
    muted: bool = True


class DeleteIn(_Msg):
    """Host only: remove a chat message from every screen."""

    type: Literal["delete"]
    message_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class PingIn(_Msg):
    type: Literal["ping"]


Inbound = Annotated[ChatIn | LikeIn | MuteIn | DeleteIn | PingIn, Field(discriminator="type")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Inbound)


class BadMessage(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_inbound(raw: str) -> ChatIn | LikeIn | MuteIn | DeleteIn | PingIn:
    try:
        return _ADAPTER.validate_json(raw)  # type: ignore[no-any-return]
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or "message"
        raise BadMessage(f"{field}: {err.get('msg', 'invalid')}") from exc


def out(kind: str, **fields: Any) -> bytes:
    """One outbound message as JSON bytes, encoded once and shared by every recipient."""
    return orjson.dumps({"type": kind, **fields})


def now_ms() -> int:
    return int(time.time() * 1000)
