"""The one-command demo: seeded stores, products and stock, a live room from a synthetic host."""

from livecommerce.demo.runner import run_demo

__all__ = ["run_demo"]
