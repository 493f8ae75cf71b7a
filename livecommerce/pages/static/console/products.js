// The store's stock joined with the catalogue: what the host can pin or put on sale.
import { api } from "/static/common/api.js";
import { $, el, yuan } from "./ui.js";

export class Products {
  constructor({ onPin, onSell }) {
    this.onPin = onPin;
    this.onSell = onSell;
    this.catalog = new Map(); // sku -> {sku, name, price_cents, image_url}
    this.stock = []; // [{sku, on_hand, allocated}] of the current store
    this.pinnedSku = null;
  }

  name(sku) { return (this.catalog.get(sku) || {}).name || sku; }

  async load(storeId, token) {
    const [products, stock] = await Promise.all([
      api("/api/v1/products"),
      api(`/api/v1/stores/${encodeURIComponent(storeId)}/stock`, { token }),
    ]);
    this.catalog = new Map(products.map((p) => [p.sku, p]));
    this.stock = stock;
    this.render();
  }

  onHand(sku) { return (this.stock.find((s) => s.sku === sku) || { on_hand: 0 }).on_hand; }

  setPinned(sku) {
    this.pinnedSku = sku;
    this.render();
  }

  render(canPin = this.canPin) {
    this.canPin = canPin;
    const list = $("products");
    const rows = this.stock.filter((s) => this.catalog.has(s.sku));
    $("stock-note").textContent = rows.length ? `${rows.length} products in stock` : "";
    list.replaceChildren(...rows.map((s) => {
      const p = this.catalog.get(s.sku);
      const pinned = s.sku === this.pinnedSku;
      return el("li", { class: "product" + (pinned ? " pinned" : ""), dataset: { sku: s.sku } },
        p.image_url ? el("img", { src: p.image_url, alt: "", loading: "lazy" }) : el("div", { class: "img-ph" }),
        el("div", { class: "product-body" },
          el("div", { class: "product-name" }, p.name),
          el("div", { class: "product-meta" }, el("b", {}, yuan(p.price_cents)), ` · ${s.on_hand} on hand`,
            s.allocated ? ` · ${s.allocated} in sales` : "")),
        el("div", { class: "product-actions" },
          el("button", { class: "ghost small pin", type: "button", disabled: !canPin || pinned, onclick: () => this.onPin(s.sku) },
            pinned ? "Pinned" : "Pin"),
          el("button", { class: "ghost small sell", type: "button", disabled: !canPin, onclick: () => this.onSell(s.sku) }, "Sell")));
    }));
    if (!rows.length) list.append(el("li", { class: "muted empty" }, "No stock in this store yet (ops sets it: PUT /api/v1/stores/{id}/stock/{sku})."));
  }
}
