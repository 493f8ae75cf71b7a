"""Attribution: the first referral (or else the first delivery address) fixes a viewer's home
store and host; ops move a leaving host's customers to another host of the store."""

from __future__ import annotations

import asyncio


async def _login(api, openid: str, ref: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    url = "/api/v1/auth/viewer" + (f"?ref={ref}" if ref else "")
    r = await api.client.post(url, json={"openid": openid, "nickname": openid})
    assert r.status == 200, await r.text()
    return await r.json()


async def _me(api, token: str) -> dict:  # type: ignore[no-untyped-def]
    r = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200
    return await r.json()


async def test_first_referral_fixes_home_store_and_host(api) -> None:  # type: ignore[no-untyped-def]
    await api.seed()
    first = await _login(api, "oA", "S2:bob")
    assert first["home_store_id"] == "S2"
    again = await _login(api, "oA", "S1:alice")
    assert again["home_store_id"] == "S2", "the first referral wins"
    me = await _me(api, again["token"])
    assert (me["home_store_id"], me["host_id"], me["attributed_by"]) == ("S2", "bob", "referral")
    assert (await _login(api, "oB", "S9"))["home_store_id"] is None, "an unknown store is ignored"
    r = await api.client.post("/api/v1/auth/viewer?ref=../x", json={"openid": "oC"})
    assert r.status == 422 and (await r.json())["error"]["field"] == "ref"


async def test_without_referral_the_first_delivery_picks_the_nearest_store(api) -> None:  # type: ignore[no-untyped-def]
    await api.seed()
    sale = await api.create_sale({"S1": 5, "S2": 5, "S3": 5})
    login = await _login(api, "oD")
    assert (await _me(api, login["token"]))["home_store_id"] is None
    near_xujiahui = {"text": "Hongqiao Rd 1", "lat": 31.1900, "lng": 121.4380}
    r = await api.client.post(f"/api/v1/flash-sales/{sale['id']}/orders",
                              json={"quantity": 1, "fulfillment": {"type": "delivery", "address": near_xujiahui}},
                              headers={"Authorization": f"Bearer {login['token']}", "Idempotency-Key": "d1"})
    assert r.status == 201
    for _ in range(100):  # the ledger worker attributes as it records the order
        me = await _me(api, login["token"])
        if me["home_store_id"]:
            break
        await asyncio.sleep(0.05)
    assert (me["home_store_id"], me["attributed_by"]) == ("S3", "delivery")
    assert me["host_id"] == "ops1", "the host of the sale the first delivery came from"


async def test_ops_reassign_a_leaving_hosts_customers(api) -> None:  # type: ignore[no-untyped-def]
    await api.seed()
    a = await _login(api, "oE", "S2:bob")
    await _login(api, "oF", "S2:bob")
    await _login(api, "oG", "S2:dan")
    url = "/api/v1/stores/S2/customers/reassign"
    body = {"from_host": "bob", "to_host": "carol"}
    assert (await api.client.post(url, json=body, headers=api.host_s2)).status == 403
    assert (await api.client.post(url, json={"from_host": "bob"}, headers=api.ops)).status == 422
    assert (await api.client.post("/api/v1/stores/S9/customers/reassign", json=body, headers=api.ops)).status == 404
    r = await api.client.post(url, json=body, headers=api.ops)
    assert r.status == 200 and (await r.json())["reassigned"] == 2
    assert (await _me(api, a["token"]))["host_id"] == "carol"
