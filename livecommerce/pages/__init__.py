"""The three front doors as static pages: the viewer player (``/``), the host console (``/console``)
and the ops dashboard (``/ops``). They talk to the server only through the public HTTP contract."""

from livecommerce.pages.routes import STATIC_DIR, routes

__all__ = ["routes", "STATIC_DIR"]
