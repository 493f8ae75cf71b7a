// "Pay within the deadline": the reserved order's countdown to expires_at (server clock), Pay and
// Cancel, and what happens when the window closes. Orders bought here are remembered so "my orders"
// shows them even while the ledger is a moment behind.
import { api, stored } from "/static/common/api.js";
import { clock, t, yuan } from "./i18n.js";
import { openOrders } from "./orders.js";
import { productImage } from "./pin.js";
import { session } from "./session.js";
import { serverNow, storeName } from "./state.js";
import { $, el } from "./ui.js";

const prefs = stored("lc.player.");
let timer = 0;

export function recentOrders() {
  try { return JSON.parse(prefs.get("recent") || "[]").slice(0, 10); } catch { return []; }
}

export function rememberOrder(id) {
  prefs.set("recent", JSON.stringify([id, ...recentOrders().filter((x) => x !== id)].slice(0, 10)));
}

export function fulfilText(order) {
  const f = order.fulfillment || {};
  const store = storeName(order.store_id);
  if (f.type === "delivery") return t("fulfil_delivery", { store }) + (f.address ? " · " + f.address.text : "");
  return t("fulfil_pickup", { store });
}

function done(kind, order, product) {
  clearInterval(timer);
  const text = kind === "paid" ? t("paid_ok") : kind === "cancelled" ? t("cancelled") : t("expired");
  $("#buy-body").replaceChildren(
    el("div.result." + kind, el("div.result-ico", { text: kind === "paid" ? "✓" : kind === "cancelled" ? "↺" : "⏱" }),
      el("div.result-text", { text }),
      kind === "paid" ? el("div.muted", { text: `${product.name} × ${order.quantity} · ${fulfilText(order)}` }) : null),
    el("button.btn.primary.wide", { type: "button", onclick: () => openOrders(), text: t("view_orders") }));
}

export function renderPay(order, product) {
  clearInterval(timer);
  const expires = Date.parse(order.expires_at);
  const countdown = el("span.countdown");
  const pay = el("button#pay-btn.btn.primary.wide.big", { type: "button", text: t("pay", { amount: yuan(order.amount_cents) }) });
  const cancel = el("button#cancel-btn.btn.ghost.wide", { type: "button", text: t("cancel") });
  const error = el("div.buy-error", { role: "alert", hidden: true });
  $("#buy-body").replaceChildren(
    el("div.pay-head", el("div.pay-title", { text: t("reserved") }), el("div.pay-deadline", countdown)),
    el("div.pay-card", productImage(product, "buy-thumb"),
      el("div", el("div.buy-name", { text: `${product.name} × ${order.quantity}` }),
        el("div.muted.small", { text: fulfilText(order) }),
        el("div.buy-price", el("span.now", { text: yuan(order.amount_cents) })))),
    error, pay, cancel);
  const update = () => {
    const left = expires - serverNow();
    countdown.textContent = t("pay_within", { t: clock(left) });
    if (left <= 0) done("expired", order, product);
  };
  update();
  timer = setInterval(update, 250);
  const act = async (what) => {
    pay.disabled = cancel.disabled = true;
    try {
      const r = await api(`/api/v1/orders/${encodeURIComponent(order.order_id)}/${what}`, { method: "POST", token: session.token });
      done(r.status, { ...order, ...r }, product);
    } catch (e) {
      if (e.code === "expired") return done("expired", order, product);
      error.hidden = false;
      error.textContent = e.code === "network" ? t("err_network") : e.status >= 500 ? t("err_unavailable") : t("err_other", { m: e.message });
      pay.disabled = cancel.disabled = false;
    }
  };
  pay.onclick = () => act("pay");
  cancel.onclick = () => act("cancel");
}
