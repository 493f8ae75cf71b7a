"""Viewer: watches a room (HLS playlist and segment pulls), keeps the room websocket, chats and likes.

Rooms without a publisher answer the playlist with 404: that is the contract for a room that is
not live, so it counts as a success and the viewer just keeps chatting. Run alone:

    LC_LOAD_PLAN=results/plan.json locust -f loadtests/viewer.py,loadtests/shape_evening.py --headless
"""

from __future__ import annotations

import random
import sys
import uuid
from pathlib import Path

from locust import FastHttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable alone from anywhere

from loadtests._plan import load_plan  # noqa: E402
from loadtests._room_socket import RoomSocket  # noqa: E402

PLAN = load_plan()
LINES = ("好看!", "多少钱?", "还有货吗", "This colour please", "链接在哪", "主播好", "wow", "来了来了")


class Viewer(FastHttpUser):
    host = PLAN.base_url
    wait_time = between(0.8, 1.2)  # a player polls its playlist about once a target duration
    weight = 10

    def on_start(self) -> None:
        self.room = random.choice(PLAN.rooms) if PLAN.rooms else ""
        self.socket: RoomSocket | None = None
        self.last_segment = ""
        r = self.client.post("/api/v1/auth/viewer", json={"openid": "lv-" + uuid.uuid4().hex[:20]},
                             name="/api/v1/auth/viewer")
        if r.status_code == 200 and self.room:
            self.socket = RoomSocket.join(self.environment, PLAN.base_url, self.room, r.json()["token"])

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    @task(10)
    def watch(self) -> None:
        if not self.room:
            return
        with self.client.get(f"/live/{self.room}/index.m3u8", catch_response=True,
                             name="/live/[room]/index.m3u8") as r:
            if r.status_code == 404:
                r.success()  # not live (yet): the player shows the cover
                return
            if r.status_code != 200:
                r.failure(f"playlist answered {r.status_code}")
                return
            segments = [ln for ln in r.text.splitlines() if ln and not ln.startswith("#")]
        if segments and segments[-1] != self.last_segment:
            self.last_segment = segments[-1]
            self.client.get(f"/live/{self.room}/{segments[-1]}", name="/live/[room]/[segment]")

    @task(2)
    def like(self) -> None:
        if self.socket is not None:
            self.socket.send(type="like", count=random.randint(1, 5))

    @task(1)
    def chat(self) -> None:
        if self.socket is not None:
            self.socket.send(type="chat", text=random.choice(LINES))

    @task(1)
    def room_card(self) -> None:
        if self.room:
            self.client.get(f"/api/v1/rooms/{self.room}", name="/api/v1/rooms/[room]")
