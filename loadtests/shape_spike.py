"""The spike shape alone (see _shapes.py), to combine with a persona file on locust's command line."""

from __future__ import annotations

from loadtests._shapes import SpikeShape as _Base


class SpikeShape(_Base):
    abstract = False
