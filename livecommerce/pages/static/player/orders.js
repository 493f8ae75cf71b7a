// "My orders": the ledger's pages (GET /api/v1/me/orders), newest first, with status chips; orders
// bought on this phone are read directly too, since the ledger trails the sale by a moment.
import { api } from "/static/common/api.js";
import { t, yuan } from "./i18n.js";
import { fulfilText, recentOrders } from "./pay.js";
import { productImage } from "./pin.js";
import { session } from "./session.js";
import { productOf } from "./state.js";
import { $, el, openSheet } from "./ui.js";

let cursor = null;
let shown = new Map();

function row(o) {
  const p = productOf(o.sku);
  const d = o.created_at ? new Date(o.created_at) : null;
  const two = (n) => String(n).padStart(2, "0");
  const when = d ? `${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}` : "";
  return el("li.order", { dataset: { id: o.order_id, status: o.status } },
    productImage(p, "order-thumb"),
    el("div.order-text",
      el("div.order-top", el("span.order-name", { text: p.name }), el("span.chip-status." + o.status, { text: t("status_" + o.status) })),
      el("div.muted.small", { text: fulfilText(o) }),
      el("div.order-bottom", el("span.muted.small", { text: `× ${o.quantity} · ${when}` }), el("span.order-amount", { text: yuan(o.amount_cents) }))));
}

function render() {
  const list = $("#orders-list");
  const orders = [...shown.values()].sort((a, b) => (b.created_at || "").localeCompare(a.created_at || ""));
  list.replaceChildren(...(orders.length ? orders.map(row) : [el("li.empty", { text: t("no_orders") })]));
  $("#orders-more").hidden = !cursor;
}

async function page(next) {
  const q = next ? `?limit=10&cursor=${encodeURIComponent(next)}` : "?limit=10";
  const r = await api("/api/v1/me/orders" + q, { token: session.token });
  for (const o of r.orders) if (!shown.has(o.order_id) || !next) shown.set(o.order_id, o);
  cursor = r.next_cursor;
}

export async function loadOrders() {
  shown = new Map();
  cursor = null;
  try {
    await page(null);
    // this phone's own recent orders, fresh from the sale (status included), over the ledger's view
    const fresh = await Promise.all(recentOrders().map((id) =>
      api(`/api/v1/orders/${encodeURIComponent(id)}`, { token: session.token }).catch(() => null)));
    for (const o of fresh) if (o) shown.set(o.order_id, o);
  } catch (e) {
    $("#orders-list").replaceChildren(el("li.empty", { text: t("err_other", { m: e.message }) }));
    return;
  }
  render();
}

export function openOrders() {
  openSheet("orders-sheet");
  return loadOrders();
}

export function bindOrders() {
  $("#orders-refresh").addEventListener("click", loadOrders);
  $("#orders-more").addEventListener("click", async () => { await page(cursor); render(); });
}
