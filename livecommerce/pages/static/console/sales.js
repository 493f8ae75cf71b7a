// Flash sales of the open room: the creation form (allocations per store, start now or at a time)
// with errors shown on the field they concern, and the list with live remaining/reserved/sold.
import { api, ApiError } from "/static/common/api.js";
import { $, clearFieldErrors, clock, el, localTime, showFieldErrors, toast, yuan } from "./ui.js";

const REFRESH_MS = 2000;
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export class Sales {
  constructor({ session, products, onPin, clockOffset }) {
    this.session = session;
    this.products = products;
    this.onPin = onPin;
    this.clockOffset = clockOffset;
    this.roomId = null;
    this.sales = [];
    this.pinnedId = null;
    this.stores = [];
    this.stockByStore = new Map();
    const form = $("sale-form");
    form.addEventListener("submit", (e) => { e.preventDefault(); this.submit(); });
    $("sale-cancel").addEventListener("click", () => { form.hidden = true; });
    $("new-sale-btn").addEventListener("click", () => this.openForm());
    $("sale-start-mode").addEventListener("change", (e) => { $("sale-at-label").hidden = e.target.value !== "at"; });
    $("sale-sku").addEventListener("change", () => this.fillSku());
    setInterval(() => this.tick(), 1000);
  }

  now() { return Date.now() + this.clockOffset(); }

  open(roomId) {
    this.roomId = roomId;
    this.sales = [];
    $("new-sale-btn").disabled = !roomId;
    $("sale-form").hidden = true;
    this.render();
    clearInterval(this.refreshTimer);
    if (roomId) {
      this.refresh();
      this.refreshTimer = setInterval(() => this.refresh(), REFRESH_MS);
    }
  }

  async refresh() {
    if (!this.roomId) return;
    const roomId = this.roomId;
    try {
      const sales = await api(`/api/v1/flash-sales?room_id=${encodeURIComponent(roomId)}`);
      if (roomId === this.roomId) { this.sales = sales; this.render(); }
    } catch { /* the next refresh tries again */ }
  }

  liveStock(saleId, remaining) {
    const s = this.sales.find((x) => x.id === saleId);
    if (s && s.remaining !== remaining) { s.remaining = remaining; this.render(); }
  }

  setPinned(saleId) { this.pinnedId = saleId; this.render(); }

  async openForm(sku) {
    const form = $("sale-form");
    clearFieldErrors(form, $("sale-error"));
    const skus = this.products.stock.filter((s) => this.products.catalog.has(s.sku));
    $("sale-sku").replaceChildren(...skus.map((s) => el("option", { value: s.sku }, this.products.name(s.sku))));
    if (sku) $("sale-sku").value = sku;
    form.hidden = false;
    const token = this.session.token;
    this.stores = this.session.isOps ? await api("/api/v1/stores") : [{ id: this.session.storeId, name: this.session.storeId }];
    await Promise.all(this.stores.map(async (st) => {
      if (st.id === this.session.storeId) { this.stockByStore.set(st.id, this.products.stock); return; }
      this.stockByStore.set(st.id, await api(`/api/v1/stores/${encodeURIComponent(st.id)}/stock`, { token }).catch(() => []));
    }));
    this.fillSku();
    form.scrollIntoView({ block: "nearest" });
  }

  fillSku() {
    const sku = $("sale-sku").value;
    const p = this.products.catalog.get(sku);
    if (p) $("sale-price").value = (Math.round(p.price_cents * 0.6) / 100).toFixed(2);
    const rows = this.stores.map((st) => {
      const have = ((this.stockByStore.get(st.id) || []).find((x) => x.sku === sku) || { on_hand: 0 }).on_hand;
      return el("label", { class: "alloc" }, el("span", { class: "alloc-store" }, st.name || st.id),
        el("span", { class: "muted small" }, `${have} on hand`),
        el("input", { type: "number", min: "0", max: String(have), value: st.id === this.session.storeId ? String(Math.min(have, 20)) : "0",
          dataset: { store: st.id, have: String(have) }, "aria-label": `quantity from ${st.id}` }));
    });
    $("sale-allocations").replaceChildren(...rows);
  }

  // The body, or throws an ApiError-shaped error naming the field (checked here first, so a typo
  // never costs a round trip; the server checks everything again).
  body() {
    const f = $("sale-form").elements;
    const bad = (field, message) => new ApiError(422, "invalid_request", message, { field });
    const price = f.price.value.trim();
    if (!/^\d+(\.\d{1,2})?$/.test(price)) throw bad("price_cents", "price: a number of yuan, at most 2 decimals");
    const limit = Number(f.per_user_limit.value), minutes = Number(f.duration.value), timeout = Number(f.payment_timeout_s.value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw bad("per_user_limit", "per user: 1..1000");
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw bad("ends_at", "duration: 1..1440 minutes");
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86400) throw bad("payment_timeout_s", "pay within: 1..86400 s");
    let starts = this.now();
    if (f.start_mode.value === "at") {
      starts = new Date(f.starts_at.value).getTime();
      if (!f.starts_at.value || Number.isNaN(starts)) throw bad("starts_at", "pick the start date and time");
    }
    const allocations = [];
    for (const input of $("sale-allocations").querySelectorAll("input")) {
      const q = Number(input.value || 0);
      if (!Number.isInteger(q) || q < 0) throw bad("allocations", `${input.dataset.store}: a whole number`);
      if (q > Number(input.dataset.have)) throw bad("allocations", `${input.dataset.store} has only ${input.dataset.have} on hand`);
      if (q > 0) allocations.push({ store_id: input.dataset.store, quantity: q });
    }
    if (!allocations.length) throw bad("allocations", "allocate at least one unit from a store");
    return {
      room_id: this.roomId, sku: f.sku.value, price_cents: Math.round(Number(price) * 100),
      starts_at: new Date(starts).toISOString(), ends_at: new Date(starts + minutes * 60000).toISOString(),
      per_user_limit: limit, payment_timeout_s: timeout, allocations,
    };
  }

  async submit() {
    const form = $("sale-form"), banner = $("sale-error");
    clearFieldErrors(form, banner);
    $("sale-submit").disabled = true;
    try {
      const sale = await api("/api/v1/flash-sales", { method: "POST", body: this.body(), token: this.session.token });
      form.hidden = true;
      toast(`Flash sale ${sale.id} created`, "ok");
      this.sales = [sale, ...this.sales.filter((s) => s.id !== sale.id)];
      this.render();
      await this.products.load(this.session.storeId, this.session.token); // on-hand moved into the sale
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.code === "insufficient_stock") e.details.field = "allocations";
      showFieldErrors(form, banner, e);
    } finally {
      $("sale-submit").disabled = false;
    }
  }

  tick() {
    for (const node of document.querySelectorAll("#sales [data-countdown]")) {
      const s = this.sales.find((x) => x.id === node.dataset.countdown);
      if (s) node.textContent = this.countdown(s);
    }
  }

  countdown(s) {
    const now = this.now(), start = Date.parse(s.starts_at), end = Date.parse(s.ends_at);
    if (now < start) return `starts in ${clock(start - now)}`;
    if (now < end && s.status !== "ended") return `ends in ${clock(end - now)}`;
    return `ended ${localTime(s.ends_at)}`;
  }

  render() {
    const list = $("sales");
    if (!this.roomId) { list.replaceChildren(el("li", { class: "muted empty" }, "Open a room to run flash sales.")); return; }
    if (!this.sales.length) { list.replaceChildren(el("li", { class: "muted empty" }, "No flash sale in this room yet.")); return; }
    list.replaceChildren(...this.sales.map((s) => {
      const total = Math.max(1, s.allocated);
      const pct = (n) => `${(100 * n) / total}%`;
      const pinned = s.id === this.pinnedId;
      return el("li", { class: `sale ${s.status}` + (pinned ? " pinned" : ""), dataset: { sale: s.id } },
        el("div", { class: "sale-head" },
          el("span", { class: `status ${s.status}` }, s.status),
          el("span", { class: "sale-name" }, this.products.name(s.sku)),
          el("b", { class: "sale-price" }, yuan(s.price_cents))),
        el("div", { class: "bar" },
          el("span", { class: "sold", style: `width:${pct(s.sold)}` }),
          el("span", { class: "reserved", style: `width:${pct(s.reserved)}` })),
        el("div", { class: "sale-nums" },
          el("span", {}, el("b", { class: "remaining" }, s.remaining), " left"),
          el("span", {}, el("b", { class: "reserved-n" }, s.reserved), " reserved"),
          el("span", {}, el("b", { class: "sold-n" }, s.sold), " sold"),
          el("span", { class: "muted" }, `of ${s.allocated}`)),
        el("div", { class: "sale-foot" },
          el("span", { class: "muted small", dataset: { countdown: s.id } }, this.countdown(s)),
          el("span", { class: "muted small" }, `limit ${s.per_user_limit} · ${plural(Object.keys(s.remaining_by_store || {}).length, "store")}`),
          el("button", { class: "ghost small pin-sale", type: "button", disabled: pinned || s.status === "ended", onclick: () => this.onPin(s.id) },
            pinned ? "Pinned" : "Pin")));
    }));
  }
}
