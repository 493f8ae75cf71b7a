"""A server process holding only the room's realtime plane, for bench_room.py.

It serves the real websocket route and hub; rooms come from a stand-in directory (every
room id exists), and ``POST /bench/pin/{room_id}`` makes the hub broadcast a pin stamped with
the server's clock, the way a host's pin reaches viewers.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import uvloop
from aiohttp import web

from livecommerce.redis_client import connect_redis
from livecommerce.web import TokenSigner, error_middleware, json_response
from livecommerce.web.auth import SIGNER
from stream_server.realtime import REALTIME, ROOM_DIRECTORY, RoomHub, RoomInfo
from stream_server.realtime import routes as realtime_routes
from stream_server.realtime.metrics import WS_FANOUT_SECONDS


class _AnyRoom:
    async def get_room(self, room_id: str) -> RoomInfo | None:
        return RoomInfo(room_id, "S1", "live")


async def _pin(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    await request.app[REALTIME].set_pin(room_id, {"sku": "SKU1", "sent_at": time.time()}, None)
    return json_response({"ok": True})


async def _stats(request: web.Request) -> web.Response:
    hub = request.app[REALTIME]
    status = await asyncio.to_thread(Path("/proc/self/status").read_text)
    rss_kb = int(status.split("VmRSS:")[1].split()[0])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    fanout = WS_FANOUT_SECONDS.collect()[0].samples
    total = {x.name: x.value for x in fanout if x.name.endswith(("_sum", "_count"))}
    return json_response({"rss_kb": rss_kb, "cpu_s": usage.ru_utime + usage.ru_stime, "delivered": hub.delivered,
                          "fanout_sum_s": total.get("lc_ws_fanout_seconds_sum", 0.0),
                          "fanout_count": total.get("lc_ws_fanout_seconds_count", 0.0)})


def main() -> None:
    port, redis_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        client = connect_redis(redis_url)
        hub = RoomHub(client)
        await hub.start()
        app[REALTIME] = hub
        yield
        await hub.stop()
        await client.aclose()

    app = web.Application(middlewares=[error_middleware])
    app[SIGNER] = TokenSigner(secret)
    app[ROOM_DIRECTORY] = _AnyRoom()
    app.cleanup_ctx.append(hub_ctx)
    app.add_routes(realtime_routes)
    app.router.add_post("/bench/pin/{room_id}", _pin)
    app.router.add_get("/bench/stats", _stats)
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


if __name__ == "__main__":
    main()
