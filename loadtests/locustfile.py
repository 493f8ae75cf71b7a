"""All three personas in one locustfile, for distributed runs (docker/compose.load.yml, or
``locust -f loadtests/locustfile.py --master`` / ``--worker``): the web UI or ``--users`` sets the crowd,
the personas' ``weight`` its mix. Every process reads the same plan (``LC_LOAD_PLAN``, written by
``loadtests/run.py``'s seeding); add ``,loadtests/shape_spike.py`` (or evening, soak) for a shape.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable alone from anywhere

from loadtests.flash_sale_buyer import FlashSaleBuyer  # noqa: E402
from loadtests.host import Host  # noqa: E402
from loadtests.viewer import Viewer  # noqa: E402

FlashSaleBuyer.weight = 10
Viewer.weight = 10
Host.weight = 1

__all__ = ["FlashSaleBuyer", "Viewer", "Host"]
