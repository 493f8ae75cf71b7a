// The store's rooms: create one, list them with their status, open one (with its stream key).
import { api } from "/static/common/api.js";
import { $, el, localTime } from "./ui.js";

const LABEL = { live: "LIVE", created: "ready", ended: "ended" };

export class Rooms {
  constructor({ session, onOpen }) {
    this.session = session;
    this.onOpen = onOpen;
    this.rooms = [];
    this.current = null;
    $("room-form").addEventListener("submit", (e) => { e.preventDefault(); this.create(); });
    setInterval(() => { if (this.session.storeId) this.refresh().catch(() => {}); }, 5000);
  }

  async refresh() {
    const all = await api("/api/v1/rooms?limit=200");
    this.rooms = all.filter((r) => r.store_id === this.session.storeId);
    this.render();
    return this.rooms;
  }

  async create() {
    const input = $("room-title");
    $("room-error").textContent = "";
    const title = input.value.trim();
    if (!title) { $("room-error").textContent = "Give the room a title."; return; }
    try {
      const room = await api("/api/v1/rooms", { method: "POST", body: { store_id: this.session.storeId, title }, token: this.session.token });
      input.value = "";
      await this.refresh();
      await this.open(room.id);
    } catch (e) {
      $("room-error").textContent = e.message;
    }
  }

  // The full room (the stream key and WHIP URL come only with a manager's token).
  async open(roomId) {
    const room = await api(`/api/v1/rooms/${encodeURIComponent(roomId)}`, { token: this.session.token });
    if (room.store_id !== this.session.storeId) throw new Error("this room belongs to another store");
    this.current = room;
    this.session.room = room.id;
    this.render();
    this.onOpen(room);
    return room;
  }

  render() {
    const list = $("rooms");
    if (!this.rooms.length) { list.replaceChildren(el("li", { class: "muted empty" }, "No room yet: create the first one above.")); return; }
    list.replaceChildren(...this.rooms.map((r) => el("li", {},
      el("button", { type: "button", class: "room" + (this.current && this.current.id === r.id ? " current" : ""),
        dataset: { room: r.id }, onclick: () => this.open(r.id).catch((e) => { $("room-error").textContent = e.message; }) },
      el("span", { class: "room-title" }, r.title),
      el("span", { class: "room-meta" },
        el("span", { class: `status ${r.status}` }, LABEL[r.status] || r.status),
        el("span", { class: "muted small" }, r.created_at ? localTime(r.created_at) : ""),
        r.status === "live" ? el("span", { class: "muted small" }, `${r.viewers} watching`) : null)))));
  }
}
