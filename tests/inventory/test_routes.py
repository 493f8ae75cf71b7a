"""The HTTP contract for stores, products and stock: shapes, auth, and bad input changing nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from inventory import INVENTORY, Inventory, routes
from livecommerce.web.auth import SIGNER, Role, TokenSigner
from livecommerce.web.errors import error_middleware

SIGNER_SECRET = "x" * 32
STORE = {"id": "S1", "name": "Jing'an", "city": "Shanghai", "lat": 31.2286, "lng": 121.4484}
PRODUCT = {"sku": "TEA-1", "name": "Longjing 250 g", "price_cents": 12800, "image_url": None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


_SIGNER = TokenSigner(SIGNER_SECRET)
OPS = bearer(_SIGNER.mint(Role.OPS, "ops-1"))
HOST_S1 = bearer(_SIGNER.mint(Role.HOST, "alice", store_id="S1"))
HOST_S2 = bearer(_SIGNER.mint(Role.HOST, "bob", store_id="S2"))
VIEWER = bearer(_SIGNER.mint(Role.VIEWER, "u_1"))


@pytest.fixture
async def client(inventory: Inventory) -> AsyncIterator[TestClient]:
    app = web.Application(middlewares=[error_middleware])
    app[SIGNER] = TokenSigner(SIGNER_SECRET)
    app[INVENTORY] = inventory
    app.add_routes(routes)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def seeded(client: TestClient) -> TestClient:
    """S1 and S2, one product, 5 units of it in S1."""
    for body in (STORE, {**STORE, "id": "S2", "name": "Xuhui", "lat": 31.1884, "lng": 121.4365}):
        assert (await client.post("/api/v1/stores", json=body, headers=OPS)).status == 201
    assert (await client.post("/api/v1/products", json=PRODUCT, headers=OPS)).status == 201
    resp = await client.put("/api/v1/stores/S1/stock/TEA-1", json={"quantity": 5}, headers=OPS)
    assert resp.status == 200
    return client


async def expect_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


async def snapshot(client: TestClient) -> tuple[Any, ...]:
    stores = await (await client.get("/api/v1/stores")).json()
    products = await (await client.get("/api/v1/products")).json()
    stock = [await (await client.get(f"/api/v1/stores/{s['id']}/stock", headers=OPS)).json() for s in stores]
    return stores, products, stock


async def test_create_and_read_stores(client: TestClient) -> None:
    resp = await client.post("/api/v1/stores", json=STORE, headers=OPS)
    assert resp.status == 201
    assert await resp.json() == STORE
    assert await (await client.get("/api/v1/stores")).json() == [STORE]  # public
    assert await (await client.get("/api/v1/stores/S1")).json() == STORE
    await expect_error(await client.get("/api/v1/stores/S9"), 404, "not_found")
    error = await expect_error(
        await client.post("/api/v1/stores", json=STORE, headers=OPS), 409, "already_exists"
    )
    assert error["id"] == "S1"


async def test_create_and_list_products(client: TestClient) -> None:
    with_image = {"sku": "CUP", "name": "Cup", "price_cents": 0, "image_url": "https://cdn.example.com/c.png"}
    assert (await client.post("/api/v1/products", json=with_image, headers=OPS)).status == 201
    resp = await client.post(
        "/api/v1/products", json={k: v for k, v in PRODUCT.items() if k != "image_url"}, headers=OPS
    )
    assert resp.status == 201
    assert await resp.json() == PRODUCT
    local = {"sku": "MUG", "name": "Mug", "price_cents": 100, "image_url": "/static/demo/products/mug.svg"}
    assert (await client.post("/api/v1/products", json=local, headers=OPS)).status == 201  # same-origin image
    assert await (await client.get("/api/v1/products")).json() == [with_image, local, PRODUCT]
    await expect_error(
        await client.post("/api/v1/products", json=PRODUCT, headers=OPS), 409, "already_exists"
    )


async def test_stock_set_and_list(seeded: TestClient) -> None:
    resp = await seeded.put("/api/v1/stores/S1/stock/TEA-1", json={"quantity": 12}, headers=OPS)
    assert await resp.json() == {"store_id": "S1", "sku": "TEA-1", "on_hand": 12, "allocated": 0}
    resp = await seeded.get("/api/v1/stores/S1/stock", headers=OPS)
    assert await resp.json() == [{"sku": "TEA-1", "on_hand": 12, "allocated": 0}]
    assert await (await seeded.get("/api/v1/stores/S2/stock", headers=OPS)).json() == []


async def test_stock_of_unknown_store_or_sku_is_404(seeded: TestClient) -> None:
    for path in ("/api/v1/stores/S9/stock/TEA-1", "/api/v1/stores/S1/stock/NOPE"):
        await expect_error(await seeded.put(path, json={"quantity": 1}, headers=OPS), 404, "not_found")
    await expect_error(await seeded.get("/api/v1/stores/S9/stock", headers=OPS), 404, "not_found")


async def test_store_shelf_is_public_and_lists_what_the_store_carries(seeded: TestClient) -> None:
    product = await (await seeded.get("/api/v1/products")).json()
    resp = await seeded.get("/api/v1/stores/S1/products")  # no token: the player's shelf
    assert resp.status == 200
    assert await resp.json() == [{**product[0], "in_stock": True}]
    assert await (await seeded.get("/api/v1/stores/S2/products")).json() == []  # carries nothing
    await seeded.put("/api/v1/stores/S1/stock/TEA-1", json={"quantity": 0}, headers=OPS)
    assert await (await seeded.get("/api/v1/stores/S1/products")).json() == []  # sold through: off the shelf
    await expect_error(await seeded.get("/api/v1/stores/S9/products"), 404, "not_found")
    await expect_error(await seeded.get("/api/v1/stores/bad%20id/products"), 422, "invalid_request")


async def test_auth(seeded: TestClient) -> None:
    before = await snapshot(seeded)
    new_store = {**STORE, "id": "S3"}
    await expect_error(await seeded.post("/api/v1/stores", json=new_store), 401, "unauthorized")
    await expect_error(
        await seeded.post("/api/v1/stores", json=new_store, headers=bearer("garbage")), 401, "unauthorized"
    )
    await expect_error(
        await seeded.post("/api/v1/stores", json=new_store, headers={"Authorization": "Basic abc"}),
        401,
        "unauthorized",
    )
    forged = bearer(TokenSigner("y" * 32).mint(Role.OPS, "mallory"))
    await expect_error(
        await seeded.post("/api/v1/stores", json=new_store, headers=forged), 401, "unauthorized"
    )
    await expect_error(await seeded.post("/api/v1/stores", json=new_store, headers=VIEWER), 403, "forbidden")
    await expect_error(await seeded.post("/api/v1/stores", json=new_store, headers=HOST_S1), 403, "forbidden")
    await expect_error(
        await seeded.post("/api/v1/products", json={**PRODUCT, "sku": "X"}, headers=HOST_S1), 403, "forbidden"
    )
    put = "/api/v1/stores/S1/stock/TEA-1"
    await expect_error(await seeded.put(put, json={"quantity": 99}), 401, "unauthorized")
    await expect_error(await seeded.put(put, json={"quantity": 99}, headers=VIEWER), 403, "forbidden")
    await expect_error(await seeded.put(put, json={"quantity": 99}, headers=HOST_S2), 403, "forbidden")
    await expect_error(await seeded.get("/api/v1/stores/S1/stock", headers=HOST_S2), 403, "forbidden")
    await expect_error(await seeded.get("/api/v1/stores/S1/stock", headers=VIEWER), 403, "forbidden")
    await expect_error(await seeded.get("/api/v1/stores/S1/stock"), 401, "unauthorized")
    assert await snapshot(seeded) == before

    resp = await seeded.put(put, json={"quantity": 7}, headers=HOST_S1)
    assert resp.status == 200
    assert (await resp.json())["on_hand"] == 7
    resp = await seeded.get("/api/v1/stores/S1/stock", headers=HOST_S1)
    assert await resp.json() == [{"sku": "TEA-1", "on_hand": 7, "allocated": 0}]


@dataclass(frozen=True)
class Bad:
    """One rejected request: ``body`` is a JSON-able object, raw bytes, or None (no body)."""

    method: str
    path: str
    body: Any
    field: str | None
    status: int = 422
    code: str = "invalid_request"
    headers: dict[str, str] = field(default_factory=dict)


STORES, PRODUCTS, STOCK = "/api/v1/stores", "/api/v1/products", "/api/v1/stores/S1/stock/TEA-1"
S3 = {**STORE, "id": "S3"}
P2 = {**PRODUCT, "sku": "P2"}

BAD_INPUTS = [
    Bad("POST", STORES, b"{not json", "body"),
    Bad("POST", STORES, b"", "body"),
    Bad("POST", STORES, [S3], "body"),
    Bad("POST", STORES, {**S3, "lat": "31.2"}, "lat"),
    Bad("POST", STORES, {**S3, "lat": True}, "lat"),
    Bad("POST", STORES, {**S3, "lat": 85.5}, "lat"),
    Bad("POST", STORES, {**S3, "lng": -180.01}, "lng"),
    Bad("POST", STORES, {**S3, "id": "S 3"}, "id"),
    Bad("POST", STORES, {**S3, "id": "S" * 65}, "id"),
    Bad("POST", STORES, {**S3, "id": ""}, "id"),
    Bad("POST", STORES, {**S3, "id": 3}, "id"),
    Bad("POST", STORES, {**S3, "name": ""}, "name"),
    Bad("POST", STORES, {**S3, "name": "n" * 101}, "name"),
    Bad("POST", STORES, {**S3, "city": "c" * 65}, "city"),
    Bad("POST", STORES, {k: v for k, v in S3.items() if k != "city"}, "city"),
    Bad("POST", STORES, {**S3, "owner": "me"}, "owner"),
    Bad(
        "POST",
        STORES,
        json.dumps(S3).encode(),
        None,
        415,
        "unsupported_media_type",
        {"Content-Type": "text/html"},
    ),
    Bad("POST", STORES, {**S3, "name": "n" * 20_000}, None, 413, "payload_too_large"),
    Bad("POST", PRODUCTS, {**P2, "price_cents": True}, "price_cents"),
    Bad("POST", PRODUCTS, {**P2, "price_cents": "100"}, "price_cents"),
    Bad("POST", PRODUCTS, {**P2, "price_cents": 1.5}, "price_cents"),
    Bad("POST", PRODUCTS, {**P2, "price_cents": -1}, "price_cents"),
    Bad("POST", PRODUCTS, {**P2, "price_cents": 1_000_000_001}, "price_cents"),
    Bad("POST", PRODUCTS, {**P2, "price_cents": 10**30}, "price_cents"),
    Bad("POST", PRODUCTS, {**P2, "sku": "P/2"}, "sku"),
    Bad("POST", PRODUCTS, {**P2, "image_url": "ftp://x/y.png"}, "image_url"),
    Bad("POST", PRODUCTS, {**P2, "image_url": "javascript:alert(1)"}, "image_url"),
    Bad("POST", PRODUCTS, {**P2, "image_url": "//evil.example/x.png"}, "image_url"),
    Bad("POST", PRODUCTS, {**P2, "image_url": "/static/../secret"}, "image_url"),
    Bad("POST", PRODUCTS, {**P2, "image_url": "static/x.png"}, "image_url"),
    Bad("POST", PRODUCTS, {**P2, "image_url": "https://x.io/" + "a" * 500}, "image_url"),
    Bad("POST", PRODUCTS, {"sku": "P2", "name": "n"}, "price_cents"),
    Bad("PUT", STOCK, {"quantity": "5"}, "quantity"),
    Bad("PUT", STOCK, {"quantity": 5.0}, "quantity"),
    Bad("PUT", STOCK, {"quantity": True}, "quantity"),
    Bad("PUT", STOCK, {"quantity": None}, "quantity"),
    Bad("PUT", STOCK, {"quantity": -1}, "quantity"),
    Bad("PUT", STOCK, {"quantity": 10_000_001}, "quantity"),
    Bad("PUT", STOCK, {}, "quantity"),
    Bad("PUT", STOCK, {"quantity": 1, "extra": 1}, "extra"),
    Bad("PUT", STOCK, b"[1,", "body"),
    Bad("PUT", "/api/v1/stores/S1/stock/TEA%201", {"quantity": 1}, "sku"),
    Bad("PUT", "/api/v1/stores/S1/stock/" + "k" * 65, {"quantity": 1}, "sku"),
    Bad("PUT", "/api/v1/stores/S%2A1/stock/TEA-1", {"quantity": 1}, "store_id"),
    Bad("GET", "/api/v1/stores/S%201", None, "id"),
    Bad("GET", "/api/v1/stores/" + "s" * 65 + "/stock", None, "store_id"),
]


async def test_bad_inputs_are_422_naming_the_field_and_change_nothing(seeded: TestClient) -> None:
    before = await snapshot(seeded)
    for bad in BAD_INPUTS:
        kwargs: dict[str, Any] = {"headers": {**OPS, **bad.headers}}
        if isinstance(bad.body, bytes):
            kwargs["data"] = bad.body
            kwargs["headers"].setdefault("Content-Type", "application/json")
        elif bad.body is not None:
            kwargs["json"] = bad.body
        resp = await seeded.request(bad.method, bad.path, **kwargs)
        case = f"{bad.method} {bad.path} {bad.body!r:.80}"
        assert resp.status == bad.status, f"{case}: {resp.status} {await resp.text()}"
        error = (await resp.json())["error"]
        assert error["code"] == bad.code, case
        if bad.field is not None:
            assert error["field"] == bad.field, f"{case}: {error}"
            assert bad.field in error["message"], case
    assert await snapshot(seeded) == before
