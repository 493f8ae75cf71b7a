"""Request bodies of the flash-sale routes, validated at the edge (pydantic, strict, no extras)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["SaleIn", "OrderIn", "PageQuery", "IdempotencyKey"]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AllocationIn(_Strict):
    store_id: Id
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class SaleIn(_Strict):
    room_id: Id | None = None
    sku: Id
    price_cents: Annotated[int, Field(ge=0, le=1_000_000_000)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    per_user_limit: Annotated[int, Field(ge=1, le=1000)]
    payment_timeout_s: Annotated[int, Field(ge=1, le=86_400)]
    allocations: Annotated[list[AllocationIn], Field(min_length=1, max_length=500)]
    shards: Annotated[int, Field(ge=1, le=16)] = 1


class PickupIn(_Strict):
    type: Literal["pickup"]
    store_id: Id


class AddressIn(_Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    lat: Annotated[float, Field(ge=-85.0, le=85.0)]
    lng: Annotated[float, Field(ge=-180.0, le=180.0)]


class DeliveryIn(_Strict):
    type: Literal["delivery"]
    address: AddressIn


class OrderIn(_Strict):
    quantity: Annotated[int, Field(ge=1, le=100)]
    fulfillment: Annotated[PickupIn | DeliveryIn, Field(discriminator="type")]


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=500)] = 50
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
