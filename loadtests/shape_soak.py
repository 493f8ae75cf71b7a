"""The soak shape alone (see _shapes.py), to combine with a persona file on locust's command line."""

from __future__ import annotations

from loadtests._shapes import SoakShape as _Base


class SoakShape(_Base):
    abstract = False
