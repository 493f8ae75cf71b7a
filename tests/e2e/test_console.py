"""The host console in real headless Chromium against a real server: sign in, create a room,
preview Chromium's fake camera, publish it by WHIP (the room goes live and HLS gets segments), pin,
run a flash sale (field errors from the page and from the server), moderate a viewer's chat, watch
stock fall as viewers buy over HTTP, end the room."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    ConsoleErrors,
    LiveServer,
    screenshot,
    start_server,
    stop_server,
    wait_for,
)

STORE = {"id": "sh-nanjing-rd", "name": "Shanghai No.1 Department Store", "city": "Shanghai",
         "lat": 31.2355, "lng": 121.4753}
OTHER = {"id": "bj-skp", "name": "SKP Beijing", "city": "Beijing", "lat": 39.9087, "lng": 116.4779}
SCARF = {"sku": "silk-scarf", "name": "Mulberry silk scarf", "price_cents": 89900,
         "image_url": "/static/demo/products/silk-scarf-peony.svg"}
TEA = {"sku": "longjing", "name": "Longjing green tea, 250 g", "price_cents": 36800,
       "image_url": "/static/demo/products/longjing-tea.svg"}


def expect_http_error(errors: ConsoleErrors, status: int, path_part: str) -> None:
    """Chromium logs each 4xx it was meant to get as a console error: take exactly those out."""
    expected = [e for e in errors if f"status of {status}" in e and path_part in e]
    assert expected, (status, path_part, list(errors))
    for e in expected:
        errors.remove(e)


@pytest.fixture(scope="module")
def shop(module_server: LiveServer) -> LiveServer:
    ops = module_server.token("ops")
    for store in (STORE, OTHER):
        module_server.ok("POST", "/api/v1/stores", store, ops)
    for product in (SCARF, TEA):
        module_server.ok("POST", "/api/v1/products", product, ops)
        module_server.ok("PUT", f"/api/v1/stores/{STORE['id']}/stock/{product['sku']}", {"quantity": 50}, ops)
    return module_server


def viewer(server: LiveServer, name: str) -> tuple[str, str]:
    body = server.ok("POST", "/api/v1/auth/viewer", {"openid": f"wx-{name}-{uuid.uuid4().hex[:6]}", "nickname": name})
    return body["token"], body["user_id"]


def recv_until(ws: ClientConnection, kind: str, within: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if msg["type"] == kind:
            return msg  # type: ignore[no-any-return]


@contextmanager
def room_socket(server: LiveServer, room_id: str, token: str) -> Iterator[ClientConnection]:
    """A viewer's websocket on the room, past its first ``room`` message."""
    with connect(f"{server.base.replace('http', 'ws')}/ws/rooms/{room_id}?token={token}") as ws:
        recv_until(ws, "room")
        yield ws


def chat_line(page: Any, ws: ClientConnection, text: str) -> Any:
    """Say ``text`` on ``ws``; the console's line for it, once shown."""
    ws.send(json.dumps({"type": "chat", "text": text}))
    line = page.locator("#chat .chat-line", has_text=text)
    line.wait_for()
    return line


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(base + "/console")
    page.fill("#token-input", token)
    page.click("#signin-submit")
    page.wait_for_selector("#app:not([hidden])")


def test_host_goes_live_sells_moderates_and_ends(shop: LiveServer, new_page: Any,
                                                console_errors: ConsoleErrors) -> None:
    host = shop.token("host", "host-lin", STORE["id"], "Lin")
    page = new_page(viewport=DESKTOP)
    sign_in(page, shop.base, host)
    expect(page.locator("#who-store")).to_have_text(STORE["name"])

    # a room, the camera, then WHIP
    page.fill("#room-title", "Autumn silk, live from Nanjing Road")
    page.click("#room-form button[type=submit]")
    page.wait_for_selector("#rooms .room.current")
    room_id = page.get_attribute("#rooms .room.current", "data-room")
    assert shop.ok("GET", f"/api/v1/rooms/{room_id}")["status"] == "created"
    page.click("#preview-btn")
    page.wait_for_function("() => document.querySelector('#preview').videoWidth > 0")
    assert page.locator("#cam-select option").count() >= 1
    page.click("#live-btn")
    page.wait_for_function("() => document.querySelector('#live-badge').textContent.startsWith('LIVE')", timeout=20_000)
    room = shop.ok("GET", f"/api/v1/rooms/{room_id}")
    assert room["status"] == "live" and room["playback"]["hls"]

    def segments() -> list[str]:
        with urllib.request.urlopen(f"{shop.base}/live/{room_id}/index.m3u8", timeout=5) as r:
            return re.findall(r"^\S+\.ts$", r.read().decode(), re.M)

    wait_for(lambda: len(segments()) >= 2, 20, "HLS segments from the browser's stream")
    with urllib.request.urlopen(f"{shop.base}/live/{room_id}/{segments()[-1]}", timeout=5) as r:
        assert len(r.read()) > 1000
    wait_for(lambda: "Mbps" in page.text_content("#bitrate"), 10, "bitrate from getStats")
    assert page.text_content("#pc-state") == "streaming"

    # a second console on the same room monitors it by WHEP: media arrives from the server
    other = new_page(viewport=DESKTOP)
    sign_in(other, shop.base, host)
    other.wait_for_selector(f"#rooms .room.current[data-room={room_id}]")
    other.wait_for_function("() => document.querySelector('#preview').videoWidth > 0", timeout=15_000)
    expect(other.locator("#pc-state")).to_have_text("monitoring (WHEP)")
    expect(other.locator("#live-btn")).to_have_text("Live from an encoder")
    assert other.is_disabled("#live-btn")
    other.close()

    # the WHIP errors as the host reads them: a second publisher (409), a wrong key (401)
    errors = page.evaluate("""async ([url, key]) => {
        const { Publisher } = await import('/static/console/publisher.js');
        const stream = document.querySelector('#preview').srcObject;
        const out = [];
        for (const k of [key, 'not-the-key']) {
          try { await new Publisher({ onState() {}, onStats() {} }).start(stream, url, k); out.push('accepted'); }
          catch (e) { out.push(`${e.status}: ${e.message}`); }
        }
        return out;
    }""", [room["playback"]["hls"].replace(f"/live/{room_id}/index.m3u8", f"/whip/{room_id}"),
           shop.ok("GET", f"/api/v1/rooms/{room_id}", token=host)["stream_key"]])
    assert errors[0].startswith("409: This room is already live"), errors
    assert errors[1].startswith("401: The stream key was refused"), errors
    expect_http_error(console_errors, 409, f"/whip/{room_id}")
    expect_http_error(console_errors, 401, f"/whip/{room_id}")

    # pin a product
    page.click(f"#products [data-sku={TEA['sku']}] .pin")
    wait_for(lambda: (shop.ok("GET", f"/api/v1/rooms/{room_id}")["pinned"] or {}).get("product", {}).get("sku")
             == TEA["sku"], 5, "product pinned")
    page.wait_for_selector(f"#products [data-sku={TEA['sku']}].pinned")

    # a flash sale: a field error from the page, one from the server, then the sale
    page.click(f"#products [data-sku={SCARF['sku']}] .sell")
    page.wait_for_selector(f"#sale-allocations input[data-store={STORE['id']}]")
    alloc = page.locator(f"#sale-allocations input[data-store={STORE['id']}]")
    alloc.fill("51")
    page.click("#sale-submit")
    assert "only 50 on hand" in page.text_content('.field-error[data-for="allocations"]')
    page.fill("#sale-price", "12.345")
    page.click("#sale-submit")
    assert "at most 2 decimals" in page.text_content('.field-error[data-for="price_cents"]')
    assert page.text_content('.field-error[data-for="allocations"]') == ""
    page.fill("#sale-price", "599")
    alloc.fill("10")
    shop.ok("PUT", f"/api/v1/stores/{STORE['id']}/stock/{SCARF['sku']}", {"quantity": 5}, host)  # sold in store
    page.click("#sale-submit")
    page.wait_for_function("() => document.querySelector('.field-error[data-for=\"allocations\"]').textContent")
    assert "has 5 of 'silk-scarf' on hand, 10 requested" in page.text_content('.field-error[data-for="allocations"]')
    expect_http_error(console_errors, 409, "/api/v1/flash-sales")
    assert shop.ok("GET", f"/api/v1/flash-sales?room_id={room_id}") == [], "a refused sale changed nothing"
    shop.ok("PUT", f"/api/v1/stores/{STORE['id']}/stock/{SCARF['sku']}", {"quantity": 50}, host)
    page.fill('#sale-form [name="per_user_limit"]', "2")
    page.click("#sale-submit")
    page.wait_for_selector("#sales .sale.active")
    [sale] = shop.ok("GET", f"/api/v1/flash-sales?room_id={room_id}")
    assert (sale["sku"], sale["price_cents"], sale["allocated"], sale["per_user_limit"]) == (SCARF["sku"], 59900, 10, 2)
    levels = {x["sku"]: x for x in shop.ok("GET", f"/api/v1/stores/{STORE['id']}/stock", token=host)}
    assert (levels[SCARF["sku"]]["on_hand"], levels[SCARF["sku"]]["allocated"]) == (40, 10)
    # a second sale, at a time ten minutes ahead: scheduled, listed first (latest start)
    page.click("#new-sale-btn")
    page.wait_for_selector(f"#sale-allocations input[data-store={STORE['id']}]")
    page.select_option("#sale-sku", SCARF["sku"])
    page.fill(f"#sale-allocations input[data-store={STORE['id']}]", "5")
    page.select_option("#sale-start-mode", "at")
    at = page.evaluate("""() => { const d = new Date(Date.now() + 600000); d.setMilliseconds(0);
        return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19); }""")
    page.fill("#sale-at", at)
    page.click("#sale-submit")
    page.wait_for_selector("#sales .sale.scheduled")
    later, first = shop.ok("GET", f"/api/v1/flash-sales?room_id={room_id}")
    assert first["id"] == sale["id"] and later["status"] == "scheduled" and later["allocated"] == 5
    ahead = datetime.fromisoformat(later["starts_at"].replace("Z", "+00:00")) - datetime.now(UTC)
    assert 590 < ahead.total_seconds() < 601, ahead
    assert re.search(r"starts in (09:[45]\d|10:00)", page.text_content(f"#sales [data-sale='{later['id']}']"))
    page.click(f"#sales [data-sale='{sale['id']}'] .pin-sale")
    wait_for(lambda: ((shop.ok("GET", f"/api/v1/rooms/{room_id}")["pinned"] or {}).get("flash_sale") or {})
             .get("id") == sale["id"], 5, "sale pinned")

    # a viewer chats; the host deletes the line, then mutes the viewer
    mei_token, mei = viewer(shop, "Mei")
    with room_socket(shop, room_id, mei_token) as ws:
        line = chat_line(page, ws, "Is the scarf 100% silk?")
        assert line.locator(".nick").text_content() == "Mei"
        message_id = line.get_attribute("data-id")
        line.hover()
        line.locator(".delete").click()
        assert recv_until(ws, "delete")["message_id"] == message_id
        line.wait_for(state="detached")
        spam = chat_line(page, ws, "BUY NOW spam spam")
        spam.hover()
        spam.locator(".mute").click()
        assert recv_until(ws, "moderation") == {"type": "moderation", "action": "mute", "user": mei}
        ws.send('{"type":"chat","text":"still here?"}')
        assert recv_until(ws, "error")["code"] == "muted"
        page.locator("#chat .chat-line.system", has_text="Mei muted").wait_for()
        page.locator(f"#chat .mute[data-user='{mei}']", has_text="Unmute").first.wait_for()

        # markup in a chat line stays text
        with room_socket(shop, room_id, viewer(shop, "<b>Xiao</b>")[0]) as ws3:
            evil = chat_line(page, ws3, "<img src=x onerror=alert(1)> hi")
            assert evil.locator(".nick").text_content() == "<b>Xiao</b>"
            assert page.locator("#chat img, #chat b").count() == 0
            evil.hover()
            evil.locator(".delete").click()
            evil.wait_for(state="detached")

        # others keep chatting; viewers buy over HTTP and the panel's stock falls
        chen_token, _ = viewer(shop, "Chen")
        with room_socket(shop, room_id, chen_token) as ws2:
            for text in ("Does the scarf come in navy?", "Love the peony print", "Can I pick up at Jing'an?",
                         "Ordered two, pickup tonight!"):
                chat_line(page, ws2, text)
            ws2.send('{"type":"like","count":24}')
            wait_for(lambda: page.text_content("#likes") == "24", 10, "likes shown")
            for token, qty in ((chen_token, 2), (mei_token, 1)):
                buy = {"quantity": qty, "fulfillment": {"type": "pickup", "store_id": STORE["id"]}}
                key = uuid.uuid4().hex
                wait_for(lambda t=token, b=buy, k=key: _buy(shop, sale["id"], t, b, k), 5, "a buy accepted")
            remaining = page.locator(f"#sales [data-sale='{sale['id']}'] .remaining")
            wait_for(lambda: remaining.text_content() == "7", 10, "remaining stock shown as 7")
            wait_for(lambda: page.locator(f"#sales [data-sale='{sale['id']}'] .reserved-n").text_content() == "3",
                     10, "reserved shown as 3")
            page.locator("#ticker .tick", has_text="bought").first.wait_for(timeout=10_000)
            wait_for(lambda: int(page.text_content("#viewers")) >= 2, 10, "viewer count")
            page.wait_for_selector("#toast:not(.show)")
            page.mouse.move(640, 20)  # no hover or focus state in the picture
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            screenshot(page, "console-desktop")
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(300)
            screenshot(page, "console-phone")
            page.set_viewport_size(DESKTOP)

    # end the room: the WHIP session stops and the room is over for everyone
    page.click("#end-btn")
    page.wait_for_function("() => document.querySelector('#live-badge').textContent === 'ENDED'")
    assert shop.ok("GET", f"/api/v1/rooms/{room_id}")["status"] == "ended"
    assert page.text_content("#pc-state") == "closed"
    assert page.is_disabled("#live-btn") and page.is_disabled("#end-btn")


def _buy(server: LiveServer, sale_id: str, token: str, body: dict[str, Any], key: str) -> bool:
    req = urllib.request.Request(f"{server.base}/api/v1/flash-sales/{sale_id}/orders", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json", "Idempotency-Key": key,
                                                         "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status in (200, 201)
    except urllib.error.HTTPError as e:
        assert e.code == 409 and b"not_started" in e.read(), e.code  # only the server clock may be a hair behind
        return False


def test_sign_in_refuses_bad_tokens_and_remembers_a_good_one(shop: LiveServer, new_page: Any,
                                                             console_errors: ConsoleErrors) -> None:
    page = new_page(viewport=PHONE)
    page.goto(shop.base + "/console")
    page.fill("#token-input", "hello")
    page.click("#signin-submit")
    assert "not a token" in page.text_content("#signin-error")
    viewer_token, _ = viewer(shop, "Lu")
    page.fill("#token-input", viewer_token)
    page.click("#signin-submit")
    assert "viewer token cannot use the console" in page.text_content("#signin-error")
    forged = shop.token("host", "mallory", STORE["id"])[:-4] + "AAAA"
    page.fill("#token-input", forged)
    page.click("#signin-submit")
    page.wait_for_function("() => document.querySelector('#signin-error').textContent.includes('refused')")
    expect_http_error(console_errors, 401, "/stock")
    assert page.is_hidden("#app")

    page.fill("#token-input", shop.token("host", "host-wang", OTHER["id"], "Wang"))
    page.click("#signin-submit")
    page.wait_for_selector("#app:not([hidden])")
    expect(page.locator("#who-store")).to_have_text(OTHER["name"])
    page.locator("#products", has_text="No stock in this store yet").wait_for()
    page.reload()
    page.wait_for_selector("#app:not([hidden]), #signin-error:not(:empty)")  # the token was kept
    assert page.is_visible("#app"), page.text_content("#signin-error")
    expect(page.locator("#who-store")).to_have_text(OTHER["name"])
    page.click("#sign-out")
    page.wait_for_selector("#signin:not([hidden])")
    page.reload()
    page.wait_for_selector("#signin:not([hidden])")


def test_ops_token_picks_a_store(shop: LiveServer, new_page: Any) -> None:
    page = new_page(viewport=DESKTOP)
    sign_in(page, shop.base, shop.token("ops", "ops-zhao"))
    page.wait_for_selector("#store-pick:not([hidden])")
    page.select_option("#store-select", STORE["id"])
    page.wait_for_function(f"() => document.querySelector('#who-store').textContent === {STORE['name']!r}")
    page.locator(f"#products [data-sku={SCARF['sku']}]").wait_for()
    page.select_option("#store-select", OTHER["id"])
    page.wait_for_function(f"() => document.querySelector('#who-store').textContent === {OTHER['name']!r}")


def test_go_live_on_a_full_server_says_so_and_leaves_the_room_ready(tmp_path: Path, new_page: Any,
                                                                      console_errors: ConsoleErrors) -> None:
    server = start_server(tmp_path, {"LC_STREAM_MAX_LIVE_ROOMS": "0"})
    page = new_page(viewport=DESKTOP)
    try:
        ops = server.token("ops")
        server.ok("POST", "/api/v1/stores", STORE, ops)
        sign_in(page, server.base, server.token("host", "host-lin", STORE["id"]))
        page.fill("#room-title", "Full house")
        page.click("#room-form button[type=submit]")
        page.wait_for_selector("#rooms .room.current")
        room_id = page.get_attribute("#rooms .room.current", "data-room")
        page.click("#preview-btn")
        page.wait_for_function("() => document.querySelector('#preview').videoWidth > 0")
        page.click("#live-btn")
        page.locator("#stream-error", has_text="at capacity").wait_for(timeout=15_000)
        expect_http_error(console_errors, 503, f"/whip/{room_id}")
        assert page.text_content("#pc-state") == "closed" and page.is_enabled("#live-btn")
        assert server.ok("GET", f"/api/v1/rooms/{room_id}")["status"] == "created"
    finally:
        page.close()  # before its server goes: no polling into a closed port
        stop_server(server)
