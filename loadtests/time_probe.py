"""TimeProbe: the trivial baseline. Asks the server's clock as fast as it can, nothing else.

Measures the load generator rather than the platform: with the same server, the req/s one locust
process reaches here is the most it can drive on any journey, so the buy figures are read as the
server's only while they stay well under it. ``loadtests/run.py baseline`` runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from locust import FastHttpUser, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable alone from anywhere

from loadtests._plan import load_plan  # noqa: E402

PLAN = load_plan()


class TimeProbe(FastHttpUser):
    host = PLAN.base_url
    wait_time = constant(0)

    @task
    def server_time(self) -> None:
        self.client.get("/api/v1/time", name="/api/v1/time")
