"""The evening shape alone (see _shapes.py), to combine with a persona file on locust's command line."""

from __future__ import annotations

from loadtests._shapes import EveningShape as _Base


class EveningShape(_Base):
    abstract = False
