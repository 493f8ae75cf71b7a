"""Fixtures of the stream-server tests: the whole app (``api``) with a store and a fresh room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvloop
from aiohttp import web

from stream_server import STREAM_SERVER, StreamServer


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], Any]]:
    """uvloop for the modules that set ``USE_UVLOOP = True`` (what ``livecommerce serve`` runs on),
    asyncio's own loop for the others."""
    if getattr(getattr(item, "module", None), "USE_UVLOOP", False):
        return {"uvloop": uvloop.new_event_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.fixture
async def room(api) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A room of store S1 (created by its host): id, stream_key, whip_url, status."""
    r = await api.client.post("/api/v1/stores", json={"id": "S1", "name": "Store S1", "city": "Shanghai",
                                                       "lat": 31.2353, "lng": 121.4747}, headers=api.ops)
    assert r.status == 201, await r.text()
    r = await api.client.post("/api/v1/rooms", json={"store_id": "S1", "title": "Silk scarves"},
                              headers=api.host_s1)
    assert r.status == 201, await r.text()
    return await r.json()


@pytest.fixture
def server(api) -> StreamServer:  # type: ignore[no-untyped-def]
    app: web.Application = api.client.server.app
    return app[STREAM_SERVER]


@pytest.fixture
async def http(api) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    """The test client's session, for media clients that need absolute URLs."""
    yield api.client.session
