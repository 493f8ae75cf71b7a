"""Loads the Lua scripts once and calls them by SHA, reloading after a restart or failover.

Each ``lua/<name>.lua`` is prefixed with ``lua/_common.lua`` (shared helpers and the KEYS
layout) and hashed locally, so a NOSCRIPT answer is repaired with one SCRIPT LOAD.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.crc import key_slot
from redis.exceptions import NoScriptError, ResponseError

from flash_sale._resp import pack_command

__all__ = ["Script", "ScriptRegistry"]

_NAMES = ("buy", "pay", "cancel", "expire", "snapshot", "load", "close", "give", "receive")


class Script:
    """One Lua script: its source, its SHA1, and a call that survives a script cache flush."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def load(self, client: aioredis.Redis) -> None:
        await client.script_load(self.source)

    def command(self, keys: Sequence[str], args: Sequence[Any]) -> tuple[bytes, int]:
        """This call as RESP bytes for the coalescer, and the cluster slot of its keys."""
        return pack_command(["EVALSHA", self.sha, len(keys), *keys, *args]), key_slot(keys[0].encode())

    async def __call__(self, client: aioredis.Redis, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.load(client)
            return await client.evalsha(self.sha, len(keys), *keys, *args)


def is_noscript(result: object) -> bool:
    return isinstance(result, NoScriptError) or (
        isinstance(result, ResponseError) and str(result).startswith("NOSCRIPT")
    )


class ScriptRegistry:
    """All scripts of the core, read from the package once."""

    def __init__(self) -> None:
        folder = resources.files("flash_sale") / "lua"
        common = (folder / "_common.lua").read_text()
        self._scripts = {
            name: Script(name, common + "\n" + (folder / f"{name}.lua").read_text()) for name in _NAMES
        }

    def __getitem__(self, name: str) -> Script:
        return self._scripts[name]

    def all(self) -> list[Script]:
        return list(self._scripts.values())

    async def load_all(self, client: aioredis.Redis) -> None:
        for script in self._scripts.values():
            await script.load(client)
