// The buy sheet: quantity, pickup (stores nearest first, each with its stock for this sale) or
// delivery (address + coordinates), one Idempotency-Key per tap reused by that tap's retry, a clear
// message per error code, then "pay within the deadline" (pay.js).
import { api } from "/static/common/api.js";
import { clock, t, yuan } from "./i18n.js";
import { renderPay, rememberOrder } from "./pay.js";
import { productImage } from "./pin.js";
import { session } from "./session.js";
import { serverNow, state, storeName } from "./state.js";
import { $, el, km, openSheet } from "./ui.js";

let ctx = null;  // the open sheet's choices and the pending tap's key

const newKey = () => "tap-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(36).slice(2));

function locate() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude }), () => resolve(null),
      { timeout: 4000, maximumAge: 600000 });
  });
}

async function granted() {
  try { return (await navigator.permissions.query({ name: "geolocation" })).state === "granted"; } catch { return false; }
}

export async function openBuy() {
  const pin = state.pin;
  if (!pin || !pin.flash_sale) return;
  const sale = await api(`/api/v1/flash-sales/${encodeURIComponent(pin.flash_sale.id)}`).catch(() => pin.flash_sale);
  const home = state.stores.find((s) => s.id === state.room.store_id) || state.stores[0] || { lat: 31.23, lng: 121.47 };
  ctx = { sale, product: pin.product, qty: 1, mode: "pickup", storeId: null, picked: false, key: null, busy: false,
    origin: { lat: home.lat, lng: home.lng }, originKind: "store", address: { text: "", lat: home.lat, lng: home.lng } };
  renderForm();
  openSheet("buy-sheet");
  if (await granted()) useLocation(false);
}

async function useLocation(fillAddress) {
  const pos = await locate();
  if (!pos || !ctx) return;
  ctx.origin = pos;
  ctx.originKind = "you";
  if (fillAddress) Object.assign(ctx.address, pos);
  renderForm();
}

function pickupStores() {
  const by = ctx.sale.remaining_by_store || {};
  return Object.keys(by).map((id) => {
    const s = state.stores.find((x) => x.id === id) || { id, name: id, lat: ctx.origin.lat, lng: ctx.origin.lng };
    return { ...s, left: by[id], dist: km(ctx.origin, s) };
  }).sort((a, b) => a.dist - b.dist);
}

const maxQty = () => Math.max(1, Math.min(ctx.sale.per_user_limit, Math.max(1, ctx.sale.remaining)));

function qtyRow() {
  const set = (q) => { ctx.qty = Math.max(1, Math.min(maxQty(), q)); renderForm(); };
  return el("div.row.qty-row", el("span", { text: t("quantity") }),
    el("span.muted.small", { text: t("limit", { n: ctx.sale.per_user_limit }) }),
    el("div.stepper", el("button", { type: "button", "aria-label": "-", onclick: () => set(ctx.qty - 1), disabled: ctx.qty <= 1, text: "−" }),
      el("output#qty", { text: String(ctx.qty) }),
      el("button", { type: "button", "aria-label": "+", onclick: () => set(ctx.qty + 1), disabled: ctx.qty >= maxQty(), text: "+" })));
}

function pickupList() {
  const stores = pickupStores();
  if (!ctx.picked || !stores.some((s) => s.id === ctx.storeId && s.left >= ctx.qty)) {
    ctx.storeId = (stores.find((s) => s.left >= ctx.qty) || {}).id || null;
  }
  return el("div.pickup",
    el("div.muted.small", { text: `${t("nearest_first")} · ${t(ctx.originKind === "you" ? "origin_you" : "origin_store")}` }),
    el("ul.stores", stores.map((s) => el("li",
      el("label.store" + (s.left <= 0 ? ".disabled" : ""), { dataset: { store: s.id } },
        el("input", { type: "radio", name: "store", value: s.id, checked: s.id === ctx.storeId, disabled: s.left <= 0,
          onchange: () => { ctx.storeId = s.id; ctx.picked = true; } }),
        el("span.store-name", { text: s.name }),
        el("span.store-dist", { text: t("distance_km", { d: s.dist.toFixed(1) }) }),
        el("span.store-left" + (s.left <= 0 ? ".out" : ""), { text: s.left > 0 ? t("store_left", { n: s.left }) : t("store_sold_out") }))))));
}

function deliveryForm() {
  const a = ctx.address;
  const num = (name, value) => el("input", { type: "number", step: "0.0001", name, value: String(value), inputmode: "decimal",
    oninput: (e) => { a[name] = e.target.value === "" ? NaN : Number(e.target.value); } });
  return el("div.delivery",
    el("label.field", el("span", { text: t("address") }),
      el("textarea", { name: "address", rows: "2", maxlength: "200", placeholder: t("address_ph"),
        oninput: (e) => { a.text = e.target.value; } }, a.text)),
    el("div.coords", el("span.muted.small", { text: t("coords") }),
      el("label", el("span", { text: t("lat") }), num("lat", a.lat)),
      el("label", el("span", { text: t("lng") }), num("lng", a.lng)),
      el("button.link", { type: "button", onclick: () => useLocation(true), text: "📍 " + t("use_location") })));
}

function renderForm() {
  const { sale, product } = ctx;
  const tabs = el("div.tabs", ["pickup", "delivery"].map((m) => el("button.tab" + (ctx.mode === m ? ".active" : ""),
    { type: "button", dataset: { mode: m }, onclick: () => { ctx.mode = m; renderForm(); }, text: t(m) })));
  const remaining = Math.max(0, state.remaining ?? sale.remaining);
  $("#buy-body").replaceChildren(
    el("div.buy-head", productImage(product, "buy-thumb"),
      el("div", el("div.buy-price", el("span.now", { text: yuan(sale.price_cents) }),
        sale.price_cents < product.price_cents ? el("s.was", { text: yuan(product.price_cents) }) : null),
      el("div.buy-name", { text: product.name }),
      el("div.muted.small", { text: `${t("flash_sale")} · ${t("left", { n: remaining })}` }))),
    qtyRow(), tabs, ctx.mode === "pickup" ? pickupList() : deliveryForm(),
    el("div#buy-error.buy-error", { role: "alert", hidden: true }),
    el("button#buy-submit.btn.primary.wide.big", { type: "button", onclick: () => submit(false), disabled: ctx.busy,
      text: t("submit_buy", { amount: yuan(sale.price_cents * ctx.qty) }) }));
}

function fulfillment() {
  if (ctx.mode === "pickup") {
    if (!ctx.storeId) throw new Error(t("err_pick_store"));
    return { type: "pickup", store_id: ctx.storeId };
  }
  const { text, lat, lng } = ctx.address;
  if (!text.trim() || text.trim().length > 200) throw new Error(t("err_address"));
  if (!Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 85 || Math.abs(lng) > 180) throw new Error(t("err_coords"));
  return { type: "delivery", address: { text: text.trim(), lat, lng } };
}

// retry=true: the same tap again (same Idempotency-Key: the server answers with the order it made, if any)
export async function submit(retry) {
  if (!ctx || ctx.busy) return;
  let body;
  try { body = { quantity: ctx.qty, fulfillment: fulfillment() }; } catch (e) { return showError(e.message); }
  if (!retry || !ctx.key) ctx.key = newKey();
  ctx.busy = true;
  $("#buy-submit").disabled = true;
  try {
    const order = await api(`/api/v1/flash-sales/${encodeURIComponent(ctx.sale.id)}/orders`, {
      method: "POST", body, token: session.token, headers: { "Idempotency-Key": ctx.key } });
    ctx.key = null;
    rememberOrder(order.order_id);
    renderPay(order, ctx.product);
  } catch (e) {
    explain(e);
  } finally {
    ctx.busy = false;
    const b = $("#buy-submit");
    if (b) b.disabled = false;
  }
}

function showError(text, extra = []) {
  const box = $("#buy-error");
  box.hidden = false;
  box.replaceChildren(el("div.msg", { text }), ...extra);
}

function explain(e) {
  const d = e.details || {};
  const retryBtn = (delayMs) => {
    const b = el("button.btn.ghost.small", { type: "button", onclick: () => submit(true), text: t("retry"), disabled: delayMs > 0 });
    if (delayMs > 0) setTimeout(() => { b.disabled = false; }, delayMs);
    return b;
  };
  switch (e.code) {
    case "sold_out": state.remaining = 0; return showError(t("err_sold_out"));
    case "limit_exceeded": return showError(t("err_limit_exceeded", { limit: d.limit ?? ctx.sale.per_user_limit, held: d.held ?? "?" }));
    case "not_started": return showError(t("err_not_started", { t: clock((d.starts_at_ms || Date.parse(ctx.sale.starts_at)) - serverNow()) }));
    case "ended": return showError(t("err_ended"));
    case "no_stock_at_store":
      return showError(t("err_no_stock_at_store"), (d.nearest_stores || []).map((s) => el("button.alt-store", {
        type: "button", dataset: { store: s.store_id },
        onclick: () => { ctx.storeId = s.store_id; ctx.picked = true; ctx.mode = "pickup"; renderForm(); submit(false); },
        text: `${storeName(s.store_id)} · ${t("distance_km", { d: Number(s.distance_km).toFixed(1) })} · ${t("store_left", { n: s.remaining })}` })));
    case "rate_limited": return showError(t("err_rate_limited"), [retryBtn(1000)]);
    case "unavailable": case "network": return showError(t(e.code === "network" ? "err_network" : "err_unavailable"), [retryBtn(0)]);
    case "invalid_request": return showError(t("err_invalid_request", { m: e.message }));
    case "unauthorized": return showError(t("err_unauthorized"));
    default:
      if (e.status >= 500) return showError(t("err_unavailable"), [retryBtn(0)]);
      return showError(t("err_other", { m: e.message }));
  }
}

