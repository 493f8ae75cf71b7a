// The product shelf: what the room's store carries, the item on air first with its flash price and stock.
// A bottom sheet on a phone, a panel beside the phone column on a desktop.
import { t, yuan } from "./i18n.js";
import { productImage } from "./pin.js";
import { saleState, state, storeName } from "./state.js";
import { $, el } from "./ui.js";

let onBuy = () => {};
export function bindShelf(buy) { onBuy = buy; }

export function renderShelf() {
  const list = $("#shelf-list");
  if (!state.room) return list.replaceChildren();
  const pinnedSku = state.pin && state.pin.product.sku;
  const sale = state.pin && state.pin.flash_sale;
  const shelf = state.shelf.some((p) => p.sku === pinnedSku) || !pinnedSku ? state.shelf : [state.pin.product, ...state.shelf];
  const items = [...shelf].sort((a, b) => (b.sku === pinnedSku) - (a.sku === pinnedSku));
  $("#shelf-store").textContent = storeName(state.room.store_id);
  $("#shelf-count").textContent = items.length ? String(items.length) : "";
  list.replaceChildren(...items.map((p, i) => {
    const onAir = p.sku === pinnedSku;
    const st = onAir ? saleState() : "none";
    const remaining = sale ? Math.max(0, state.remaining ?? sale.remaining) : 0;
    const price = onAir && sale ? sale.price_cents : p.price_cents;
    const action = onAir && sale
      ? el("button.btn.primary.small", { type: "button", disabled: st === "soldout" || st === "ended",
        onclick: () => onBuy(), text: st === "soldout" ? t("sold_out") : st === "ended" ? t("sale_ended") : t("buy") })
      : null;
    return el("li.shelf-item" + (onAir ? ".on-air" : ""), { dataset: { sku: p.sku } },
      el("span.idx", { text: String(i + 1) }),
      productImage(p, "shelf-thumb"),
      el("div.shelf-text",
        el("div.shelf-name", onAir ? el("span.tag", { text: t("pinned_now") }) : null, p.name),
        el("div.shelf-price", el("span.now", { text: yuan(price) }),
          onAir && sale && sale.price_cents < p.price_cents ? el("s.was", { text: yuan(p.price_cents) }) : null),
        onAir && sale ? el("div.shelf-left", {
          text: st === "soldout" ? t("sold_out") : `${t("flash_sale")} · ${t("left", { n: remaining })}` }) : null),
      action || (p.in_stock === false ? el("span.muted.small", { text: t("out_of_stock") }) : null));
  }));
}
