"""Request bodies of the inventory routes: strict (no coercion), closed (no unknown fields), bounded."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from livecommerce.web import ApiError

__all__ = ["ID_PATTERN", "ProductIn", "StockIn", "StoreIn", "path_id"]

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID = re.compile(ID_PATTERN)

Ident = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
City = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Lat = Annotated[float, Field(ge=-85, le=85, allow_inf_nan=False)]
Lng = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
PriceCents = Annotated[int, Field(ge=0, le=1_000_000_000)]
Quantity = Annotated[int, Field(ge=0, le=10_000_000)]


_LOCAL_PATH = re.compile(r"^/(?!/)[A-Za-z0-9._~/%-]*$")


def _http_url(value: str) -> str:
    """An absolute http(s) URL, or a path on this server (``/static/...``: what the pages' CSP shows)."""
    if _LOCAL_PATH.match(value) and ".." not in value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL or a path on this server starting with /")
    return value


ImageUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_http_url)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StoreIn(_Body):
    id: Ident
    name: Name
    city: City
    lat: Lat
    lng: Lng


class ProductIn(_Body):
    sku: Ident
    name: Name
    price_cents: PriceCents
    image_url: ImageUrl | None = None


class StockIn(_Body):
    quantity: Quantity


def path_id(value: str, field: str) -> str:
    """A store id or sku taken from the URL, checked like the body fields (422, never a 500)."""
    if not _ID.fullmatch(value):
        raise ApiError("invalid_request", f"{field}: must match {ID_PATTERN}", field=field)
    return value
