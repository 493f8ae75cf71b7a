"""Load shapes, apart from the personas: a flash-sale spike, a steady evening, a soak.

Each shape file (``shape_*.py``) exposes exactly one of these to locust, so any persona file
can be combined with any shape: ``locust -f loadtests/flash_sale_buyer.py,loadtests/shape_spike.py``.
Sizes come from the environment (``LC_USERS``, ``LC_RUN_S``), set by ``loadtests/run.py``.
"""

from __future__ import annotations

import os

from locust import LoadTestShape

__all__ = ["SpikeShape", "EveningShape", "SoakShape"]


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


class SpikeShape(LoadTestShape):
    """The crowd enters the room over ``LC_RAMP_S`` seconds before the sale (the personas wait for
    its start, so every buyer taps at T0), and stays until the run ends."""

    abstract = True

    def tick(self) -> tuple[int, float] | None:
        users, run_s, ramp_s = int(_env("LC_USERS", 300)), _env("LC_RUN_S", 15), _env("LC_RAMP_S", 1)
        if self.get_run_time() > run_s:
            return None
        return users, users / max(ramp_s, 0.1)


class EveningShape(LoadTestShape):
    """A steady evening: viewers arrive over a minute, stay, and a few leave near the end."""

    abstract = True

    def tick(self) -> tuple[int, float] | None:
        users, run_s = int(_env("LC_USERS", 500)), _env("LC_RUN_S", 120)
        t = self.get_run_time()
        if t > run_s:
            return None
        ramp = min(60.0, run_s / 4)
        if t < ramp:
            return max(1, int(users * t / ramp)), max(1.0, users / ramp)
        if t > run_s * 0.9:
            return int(users * 0.8), users / 10
        return users, users / 10


class SoakShape(LoadTestShape):
    """A moderate constant load for a long time: leaks and drifts show, spikes do not."""

    abstract = True

    def tick(self) -> tuple[int, float] | None:
        users, run_s = int(_env("LC_USERS", 200)), _env("LC_RUN_S", 1800)
        if self.get_run_time() > run_s:
            return None
        return users, max(1.0, users / 30)
