// The pinned product card over the video: flash price, countdown to start or end (server clock),
// live remaining stock from the room's `stock` messages, and the button into the buy sheet.
import { clock, t, yuan } from "./i18n.js";
import { renderShelf } from "./shelf.js";
import { saleState, serverNow, state } from "./state.js";
import { $, el, placeholderStyle } from "./ui.js";

let onBuy = () => {};
let onShelf = () => {};
export function bindPin(buy, shelf) { onBuy = buy; onShelf = shelf; }

export function productImage(product, cls = "thumb") {
  if (product.image_url && /^(\/|https?:)/.test(product.image_url)) {
    return el("img." + cls, { src: product.image_url, alt: "" });
  }
  return el("div." + cls, { style: placeholderStyle(product.sku), text: product.name.slice(0, 1) });
}

export function setStock(saleId, remaining) {
  const sale = state.pin && state.pin.flash_sale;
  if (!sale || sale.id !== saleId) return;
  state.remaining = remaining;
  tick();
  renderShelf();
}

export function renderPin() {
  const card = $("#pin-card");
  const pin = state.pin;
  card.hidden = !pin;
  if (!pin) return card.replaceChildren();
  const { product, flash_sale: sale } = pin;
  const price = sale ? sale.price_cents : product.price_cents;
  const body = el("div.pin-body",
    el("div.pin-name", { text: product.name }),
    el("div.pin-price",
      el("span.now", { text: yuan(price) }),
      sale && sale.price_cents < product.price_cents ? el("s.was", { text: yuan(product.price_cents) }) : null),
    sale ? el("div.pin-meta", el("span.pin-count"), el("span.pin-stock")) : null,
    sale ? el("div.bar-track", el("div.bar-fill")) : null);
  const button = el("button.pin-buy", { type: "button", onclick: () => (sale ? onBuy() : onShelf()) });
  card.replaceChildren(
    el("span.pin-tag", { text: sale ? t("flash_sale") : t("pinned_now") }),
    productImage(product), body, button);
  card.classList.toggle("has-sale", !!sale);
  tick();
}

// Refresh the time- and stock-dependent parts (twice a second, and on every stock message).
export function tick() {
  const card = $("#pin-card");
  const pin = state.pin;
  if (!pin || card.hidden) return;
  const sale = pin.flash_sale;
  const button = card.querySelector(".pin-buy");
  if (!sale) { button.textContent = t("view"); return; }
  const st = saleState();
  const remaining = Math.max(0, state.remaining ?? sale.remaining);
  const now = serverNow();
  const count = card.querySelector(".pin-count");
  count.textContent = st === "scheduled" ? t("starts_in", { t: clock(Date.parse(sale.starts_at) - now) })
    : st === "active" ? t("ends_in", { t: clock(Date.parse(sale.ends_at) - now) })
    : st === "soldout" ? t("sold_out") : t("sale_ended");
  card.querySelector(".pin-stock").textContent = st === "soldout" ? "" : t("left", { n: remaining });
  const frac = sale.allocated ? remaining / sale.allocated : 0;
  card.querySelector(".bar-fill").style.width = `${Math.round(Math.max(0, Math.min(1, frac)) * 100)}%`;
  card.dataset.state = st;
  button.textContent = st === "soldout" ? t("sold_out") : st === "ended" ? t("sale_ended")
    : st === "scheduled" ? t("soon") : t("buy_now");
  button.disabled = st === "soldout" || st === "ended";
}

setInterval(tick, 500);
