// The room's websocket as the host sees it: viewers, likes, chat with delete (message) and mute
// (user), live stock of the pinned sale and the purchase ticker. Reconnects while the room is open.
import { wsUrl } from "/static/common/api.js";
import { $, el } from "./ui.js";

const MAX_LINES = 200;

export class LivePanel {
  constructor({ onStock, onRoomStatus, onPin, productName }) {
    this.onStock = onStock;
    this.onRoomStatus = onRoomStatus;
    this.onPin = onPin;
    this.productName = productName;
    this.ws = null;
    this.roomId = null;
    this.token = null;
    this.muted = new Set();
    this.nicknames = new Map(); // user id -> the nickname they chat under
    this.retry = 0;
    $("chat-form").addEventListener("submit", (e) => { e.preventDefault(); this.say(); });
    const chat = $("chat"); // a layout change (phone rotation, window resize) keeps the newest line in view
    new ResizeObserver(() => { chat.scrollTop = chat.scrollHeight; }).observe(chat);
  }

  open(roomId, token) {
    this.close();
    this.roomId = roomId;
    this.token = token;
    this.muted.clear();
    $("chat").replaceChildren();
    $("viewers").textContent = "0";
    $("likes").textContent = "0";
    this.connect();
  }

  connect() {
    const ws = new WebSocket(wsUrl(`/ws/rooms/${encodeURIComponent(this.roomId)}?token=${encodeURIComponent(this.token)}`));
    this.ws = ws;
    this.state("connecting…");
    ws.addEventListener("open", () => { this.retry = 0; this.state("connected"); this.enable(true); });
    ws.addEventListener("message", (e) => { try { this.handle(JSON.parse(e.data)); } catch { /* not ours */ } });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.enable(false);
      this.state("reconnecting…");
      this.retry = Math.min(this.retry + 1, 5);
      this.timer = setTimeout(() => this.connect(), 500 * this.retry);
    });
  }

  close() {
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    this.enable(false);
    this.state("offline");
  }

  state(text) { $("ws-state").textContent = text; }

  enable(on) {
    $("chat-input").disabled = !on;
    $("chat-send").disabled = !on;
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  say() {
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text) return;
    this.send({ type: "chat", text: text.slice(0, 200) });
    input.value = "";
  }

  handle(m) {
    switch (m.type) {
      case "viewers": $("viewers").textContent = m.count; break;
      case "likes": $("likes").textContent = m.count; break;
      case "chat": this.addChat(m); break;
      case "delete": this.removeChat(m.message_id); break;
      case "moderation": this.moderated(m); break;
      case "stock": this.onStock(m.flash_sale_id, m.remaining); break;
      case "purchase": this.ticker(m); break;
      case "room": this.onRoomStatus(m.status); break;
      case "pin": this.onPin(m); break;
      case "error": this.system(`${m.code}: ${m.message}`); break;
      default: break;
    }
  }

  addChat(m) {
    const list = $("chat");
    if (m.nickname) this.nicknames.set(m.user, m.nickname);
    const mine = m.user === (this.self || "");
    const muteBtn = el("button", { class: "link small mute", type: "button", dataset: { user: m.user },
      onclick: () => this.send({ type: "mute", user_id: m.user, muted: !this.muted.has(m.user) }) },
    this.muted.has(m.user) ? "Unmute" : "Mute");
    const line = el("li", { class: "chat-line" + (mine ? " mine" : ""), dataset: { id: m.id, user: m.user } },
      el("span", { class: "nick" }, m.nickname || m.user),
      el("span", { class: "text" }, m.text),
      el("span", { class: "actions" },
        el("button", { class: "link small delete", type: "button", onclick: () => this.send({ type: "delete", message_id: m.id }) }, "Delete"),
        mine ? null : muteBtn));
    list.append(line);
    while (list.children.length > MAX_LINES) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  removeChat(id) {
    const line = $("chat").querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (line) line.remove();
  }

  moderated(m) {
    const muted = m.action === "mute";
    if (muted) this.muted.add(m.user); else this.muted.delete(m.user);
    $("chat").querySelectorAll(`.mute[data-user="${CSS.escape(m.user)}"]`).forEach((b) => { b.textContent = muted ? "Unmute" : "Mute"; });
    $("chat").querySelectorAll(`.chat-line[data-user="${CSS.escape(m.user)}"]`).forEach((l) => l.classList.toggle("muted-user", muted));
    this.system(`${this.nicknames.get(m.user) || m.user} ${muted ? "muted" : "unmuted"}`);
  }

  system(text) {
    $("chat").append(el("li", { class: "chat-line system" }, text));
  }

  ticker(m) {
    const t = $("ticker");
    const item = el("div", { class: "tick" }, el("b", {}, m.nickname || "someone"), ` bought ${this.productName(m.sku)}`);
    t.append(item);
    while (t.children.length > 3) t.firstElementChild.remove();
    setTimeout(() => item.remove(), 6000);
  }
}
